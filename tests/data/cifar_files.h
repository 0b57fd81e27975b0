// CIFAR batch files in the binary format their site distributes, with known pixels and
// labels, for the data set's tests and the command-line tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "base/paths.h"

namespace torchsweep::testing {

/// The byte at (channel, row, column) of the record numbered `record` in its split:
/// different across channels, and not symmetric in row and column, so that a plane or a
/// transposition out of place shows.
inline uint8_t cifar_pixel(int64_t record, int64_t channel, int64_t row, int64_t column) {
  return static_cast<uint8_t>((13 * record + 85 * channel + 11 * row + 3 * column) % 256);
}
/// CIFAR-10's label of a record, CIFAR-100's coarse and fine ones.
inline uint8_t cifar10_label(int64_t record) { return static_cast<uint8_t>(record % 10); }
inline uint8_t cifar100_coarse(int64_t record) { return static_cast<uint8_t>((record * 3) % 20); }
inline uint8_t cifar100_fine(int64_t record) { return static_cast<uint8_t>((record * 7 + 1) % 100); }

/// Records first .. first + count - 1: the label bytes, then 1024 R, 1024 G and 1024 B
/// bytes, each plane row-major.
inline std::string cifar_records(int64_t first, int64_t count, bool cifar100) {
  std::string out;
  for (int64_t r = first; r < first + count; ++r) {
    if (cifar100) {
      out += static_cast<char>(cifar100_coarse(r));
      out += static_cast<char>(cifar100_fine(r));
    } else {
      out += static_cast<char>(cifar10_label(r));
    }
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 32; ++y)
        for (int64_t x = 0; x < 32; ++x) out += static_cast<char>(cifar_pixel(r, c, y, x));
  }
  return out;
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// DIR/cifar-10-batches-bin/ as the archive unpacks: five training batches of
/// `per_batch` records (numbered on across the files) and a test batch of `test`;
/// returns the folder.
inline std::string write_cifar10(const std::string& dir, int64_t per_batch, int64_t test) {
  const std::string folder = join_path(dir, "cifar-10-batches-bin");
  create_directories(folder);
  for (int b = 0; b < 5; ++b)
    write_bytes(join_path(folder, "data_batch_" + std::to_string(b + 1) + ".bin"),
                cifar_records(b * per_batch, per_batch, false));
  write_bytes(join_path(folder, "test_batch.bin"), cifar_records(0, test, false));
  write_bytes(join_path(folder, "batches.meta.txt"), "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
  return folder;
}

/// DIR/cifar-100-binary/ with train.bin and test.bin; returns the folder.
inline std::string write_cifar100(const std::string& dir, int64_t train, int64_t test) {
  const std::string folder = join_path(dir, "cifar-100-binary");
  create_directories(folder);
  write_bytes(join_path(folder, "train.bin"), cifar_records(0, train, true));
  write_bytes(join_path(folder, "test.bin"), cifar_records(0, test, true));
  return folder;
}

}  // namespace torchsweep::testing
