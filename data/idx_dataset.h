// The IDX format of MNIST and Fashion-MNIST: four files (train/test images and
// labels), gzip-compressed or raw, read once into memory as tensors.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/datasets.h"

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
  /// Training batch size.
  int64_t batch_size = 128;
  /// Evaluation batch size.
  int64_t test_batch_size = 1000;
  /// Normalisation after scaling pixels to [0, 1]: (x − mean) / std.
  double mean = 0.1307;
  double std = 0.3081;
  /// Use only the first N training / test samples (0: all).
  int64_t train_limit = 0;
  int64_t test_limit = 0;
  /// Reshuffle the training set every epoch (from the run's seed).
  bool shuffle = true;
  /// Fraction of the training samples (the last ones, before any shuffle) held out
  /// for validation; 0 for none.
  double validation = 0.0;
};

/// A loaded data set: images [N, 1, H, W] float32 normalised, labels [N] int64.
struct IdxSplit {
  torch::Tensor images;
  torch::Tensor labels;
};

/// Reads, checks (counts match, labels in 0..9) and normalises both splits.
/// Results are cached per process by (root, limits, mean, std).
std::pair<IdxSplit, IdxSplit> load_idx_splits(const IdxOptions& options);

class IdxDataset : public Dataset {
 public:
  explicit IdxDataset(const IdxOptions& options);
  /// On a GPU: the whole data set moves to the device when it takes at most a quarter
  /// of the device's memory (Fashion-MNIST: 188 MB as float32), and batches are
  /// gathered there; otherwise it is pinned in host memory, batches are gathered into
  /// pinned memory and copied asynchronously.
  void place_on(const torch::Device& device) override;
  /// Where the samples live: "host", "pinned host" or the device's name ("cuda:0").
  std::string placement() const;
  int64_t train_batches() const override;
  void start_epoch(int64_t epoch, uint64_t seed) override;
  Batch train_batch(int64_t index) override;
  int64_t test_batches() const override;
  Batch test_batch(int64_t index) override;
  int64_t validation_batches() const override;
  Batch validation_batch(int64_t index) override;
  bool classification() const override { return true; }
  int64_t train_size() const { return train_.images.size(0); }

 private:
  IdxOptions options_;
  IdxSplit train_, test_, validation_;
  torch::Tensor order_;  ///< this epoch's permutation of the training samples, where the samples are
  torch::Device device_ = torch::kCPU;  ///< where the samples are
  bool pinned_ = false;                 ///< host samples in pinned memory, gathered into pinned memory
};

/// The order of the training samples in an epoch: a permutation drawn from a
/// generator seeded by (seed, epoch), independent of torch's global generator.
torch::Tensor epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

IdxOptions idx_options_from_json(const nlohmann::json& options);

}  // namespace torchsweep
