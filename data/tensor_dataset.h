// A data set held in memory as tensors: the training, validation and test splits of a
// loader (IDX, CIFAR, an image folder, a CSV table), batched, shuffled per epoch from
// the run's seed, augmented where asked, and placed on the GPU when it fits. A new
// data set is a loader that hands its splits to this class.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/field.h"
#include "data/augmentation.h"
#include "data/datasets.h"

namespace torchsweep {

/// Samples and their targets: inputs [N, ...], targets [N] (class indices, int64) or
/// [N, ...] (floating-point regression targets).
struct TensorSplit {
  torch::Tensor inputs;
  torch::Tensor targets;
  bool defined() const { return inputs.defined(); }
  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  /// Samples [start, start + count).
  TensorSplit narrow(int64_t start, int64_t count) const {
    return {inputs.narrow(0, start, count), targets.narrow(0, start, count)};
  }
  /// The first `limit` samples (all when limit is 0 or beyond the size).
  TensorSplit first(int64_t limit) const { return limit > 0 && limit < size() ? narrow(0, limit) : *this; }
};

/// How a TensorDataset batches: the options every resident data set shares.
struct BatchOptions {
  /// Training batch size.
  int64_t batch_size = 128;
  /// Evaluation batch size.
  int64_t test_batch_size = 1000;
  /// Reshuffle the training set every epoch (from the run's seed).
  bool shuffle = true;
  /// Fraction of the training samples (the last ones, before any shuffle) held out for
  /// validation; 0 for none.
  double validation = 0.0;
};

/// The spec keys of BatchOptions with these defaults (batch_size, test_batch_size,
/// shuffle, validation), for data sets' registry entries.
std::vector<Field> batch_fields(const BatchOptions& defaults = {});
BatchOptions batch_options_from_json(const nlohmann::json& options);

class TensorDataset : public Dataset {
 public:
  /// `train` loses its last `options.validation` fraction to the validation split;
  /// `test` may be undefined (no test split). Augmentation applies to training batches.
  TensorDataset(TensorSplit train, TensorSplit test, BatchOptions options, bool classification,
                Augmentation augmentation = {});
  /// On a GPU: the whole data set moves to the device when it takes at most a quarter
  /// of the device's memory, and batches are gathered (and augmented) there; otherwise
  /// it is pinned in host memory, batches are gathered into pinned memory and copied
  /// asynchronously.
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
  bool classification() const override { return classification_; }
  int64_t train_size() const { return train_.size(); }

 private:
  BatchOptions options_;
  bool classification_;
  Augmentation augmentation_;
  TensorSplit train_, test_, validation_;
  torch::Tensor order_;  ///< this epoch's permutation of the training samples, where the samples are
  uint64_t seed_ = 0;    ///< the run's seed and this epoch, for the augmentation's draws
  int64_t epoch_ = 0;
  torch::Device device_ = torch::kCPU;  ///< where the samples are
  bool pinned_ = false;                 ///< host samples in pinned memory, gathered into pinned memory
};

/// The order of the training samples in an epoch: a permutation drawn from a
/// generator seeded by (seed, epoch), independent of torch's global generator.
torch::Tensor epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

/// Per-channel normalisation of images [N, C, H, W] scaled to [0, 1]: (x - mean[c]) / std[c],
/// as torchvision's ToTensor() then Normalize(mean, std). One value applies to every channel.
torch::Tensor normalise_channels(torch::Tensor images, const std::vector<double>& mean, const std::vector<double>& std);

/// The padded pixel of a crop, per channel, in normalised units: a black pixel, (0 - mean) / std.
std::vector<double> black_pixel(const std::vector<double>& mean, const std::vector<double>& std, int64_t channels);

}  // namespace torchsweep
