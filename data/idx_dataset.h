// The IDX format of MNIST and Fashion-MNIST: four files (train/test images and
// labels), gzip-compressed or raw, read once into memory as tensors.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/tensor_dataset.h"

namespace torchsweep {

/// One IDX file: its dimensions and unsigned-byte payload.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of unsigned bytes (gzip or raw, told apart by content).
/// InputError naming the file for a bad magic number, wrong number of
/// dimensions, or a truncated or corrupt file.
IdxArray read_idx(const std::string& path, int expected_dims);

/// The four standard files under `root` ("train-images-idx3-ubyte" …), each
/// found with or without ".gz"; InputError naming all four when one is missing.
struct IdxFiles {
  std::string train_images, train_labels, test_images, test_labels;
};
IdxFiles find_idx_files(const std::string& root);

struct IdxOptions {
  /// Folder with the four IDX files; the default is Debian's Fashion-MNIST.
  std::string root = "/usr/share/datasets/fashion-mnist";
  /// Normalisation after scaling pixels to [0, 1]: (x − mean) / std.
  double mean = 0.1307;
  double std = 0.3081;
  /// Use only the first N training / test samples (0: all).
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  /// Batch sizes, shuffling and the validation split.
  BatchOptions batches{128, 1000, true, 0.0};
};

/// Reads, checks (counts match, labels in 0..9) and normalises both splits: images
/// [N, 1, H, W] float32, labels [N] int64. Results are cached per process by (root,
/// limits, mean, std).
std::pair<TensorSplit, TensorSplit> load_idx_splits(const IdxOptions& options);

/// MNIST-style images in memory (see TensorDataset for batching and placement).
class IdxDataset : public TensorDataset {
 public:
  explicit IdxDataset(const IdxOptions& options);

 private:
  IdxDataset(const IdxOptions& options, std::pair<TensorSplit, TensorSplit> splits);
};

IdxOptions idx_options_from_json(const nlohmann::json& options);

}  // namespace torchsweep
