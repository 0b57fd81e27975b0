#include "data/idx_dataset.h"

#include <zlib.h>

#include <cmath>
#include <map>
#include <mutex>

#include "base/error.h"
#include "base/paths.h"

namespace torchsweep {

namespace {

/// Reads the whole file through zlib, which passes raw files through unchanged.
std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw InputError(path + ": cannot open the IDX file");
  gzbuffer(file, 1 << 20);
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw InputError(path + ": corrupt gzip data (" + message + ")");
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  int code = Z_OK;
  const std::string message = gzerror(file, &code);
  gzclose(file);
  // A gzip stream cut short reads as a clean end of file, with Z_BUF_ERROR set.
  if (code != Z_OK) throw InputError(path + ": truncated or corrupt gzip data (" + message + ")");
  return out;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string find_one(const std::string& root, const std::string& base) {
  for (const auto& candidate : {root + "/" + base, root + "/" + base + ".gz"})
    if (is_regular_file(candidate)) return candidate;
  return "";
}

}  // namespace

IdxArray read_idx(const std::string& path, int expected_dims) {
  const std::vector<uint8_t> bytes = read_maybe_gzip(path);
  if (bytes.size() < 4) throw InputError(path + ": " + std::to_string(bytes.size()) + " bytes, too short for an IDX file");
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
    throw InputError(path + ": not an IDX file of unsigned bytes (magic number " +
                     std::to_string(big_endian(bytes.data())) + ", expected " + std::to_string(0x800 + expected_dims) + ")");
  const int dims = bytes[3];
  if (dims != expected_dims)
    throw InputError(path + ": " + std::to_string(dims) + " dimensions, expected " + std::to_string(expected_dims));
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header) throw InputError(path + ": truncated IDX header");
  IdxArray array;
  size_t count = 1;
  for (int d = 0; d < dims; ++d) {
    array.dims.push_back(big_endian(bytes.data() + 4 + 4 * d));
    count *= static_cast<size_t>(array.dims.back());
  }
  if (bytes.size() - header != count)
    throw InputError(path + ": " + std::to_string(bytes.size() - header) + " bytes of data, the header promises " +
                     std::to_string(count) + (bytes.size() - header < count ? " (truncated file)" : ""));
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

IdxFiles find_idx_files(const std::string& root) {
  const char* names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                         "t10k-labels-idx1-ubyte"};
  IdxFiles files{find_one(root, names[0]), find_one(root, names[1]), find_one(root, names[2]),
                 find_one(root, names[3])};
  if (files.train_images.empty() || files.train_labels.empty() || files.test_images.empty() ||
      files.test_labels.empty())
    throw InputError(root + ": expected the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                            "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz)");
  return files;
}

namespace {

TensorSplit load_split(const std::string& images_path, const std::string& labels_path, int64_t limit, double mean,
                    double std) {
  IdxArray images = read_idx(images_path, 3);
  IdxArray labels = read_idx(labels_path, 1);
  if (images.dims[0] != labels.dims[0])
    throw InputError(images_path + ": " + std::to_string(images.dims[0]) + " images but " + labels_path + " has " +
                     std::to_string(labels.dims[0]) + " labels");
  for (size_t i = 0; i < labels.data.size(); ++i)
    if (labels.data[i] > 9)
      throw InputError(labels_path + ": label " + std::to_string(labels.data[i]) + " of sample " + std::to_string(i) +
                       " is out of range, expected 0 to 9");
  int64_t n = images.dims[0];
  if (limit > 0) n = std::min(n, limit);
  const int64_t h = images.dims[1], w = images.dims[2];
  TensorSplit split;
  auto bytes = torch::from_blob(images.data.data(), {images.dims[0], 1, h, w}, torch::kUInt8).narrow(0, 0, n);
  // Scale to [0, 1] then normalise, as ToTensor() + Normalize() do per sample.
  split.inputs = bytes.to(torch::kFloat32).div_(255.0).sub_(mean).div_(std).contiguous();
  split.targets = torch::from_blob(labels.data.data(), {labels.dims[0]}, torch::kUInt8).narrow(0, 0, n).to(torch::kInt64);
  return split;
}

}  // namespace

std::pair<TensorSplit, TensorSplit> load_idx_splits(const IdxOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, std::pair<TensorSplit, TensorSplit>> cache;
  const std::string key = o.root + "|" + std::to_string(o.train_limit) + "|" + std::to_string(o.test_limit) + "|" +
                          std::to_string(o.mean) + "|" + std::to_string(o.std);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const IdxFiles files = find_idx_files(o.root);
  auto splits = std::make_pair(load_split(files.train_images, files.train_labels, o.train_limit, o.mean, o.std),
                               load_split(files.test_images, files.test_labels, o.test_limit, o.mean, o.std));
  cache.emplace(key, splits);
  return splits;
}

IdxDataset::IdxDataset(const IdxOptions& options) : IdxDataset(options, load_idx_splits(options)) {}

IdxDataset::IdxDataset(const IdxOptions& options, std::pair<TensorSplit, TensorSplit> splits)
    : TensorDataset(std::move(splits.first), std::move(splits.second), options.batches, /*classification=*/true) {}

IdxOptions idx_options_from_json(const nlohmann::json& j) {
  IdxOptions o;
  o.root = j.at("root").get<std::string>();
  o.mean = j.at("mean").get<double>();
  o.std = j.at("std").get<double>();
  o.train_limit = j.at("train_limit").get<int64_t>();
  o.test_limit = j.at("test_limit").get<int64_t>();
  o.batches = batch_options_from_json(j);
  return o;
}

}  // namespace torchsweep
