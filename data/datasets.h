// Data sets and their registry. A data set hands the trainer batches that are
// already tensors; it shuffles per epoch from the run's seed.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/registry.h"

namespace torchsweep {

struct Batch {
  torch::Tensor inputs;
  torch::Tensor targets;

  /// On `device`, inputs (and floating-point targets) in the model's `dtype`; class
  /// indices stay integers. Copies are asynchronous where the memory allows it.
  Batch to(const torch::Device& device, torch::Dtype dtype) const {
    return {inputs.to(device, dtype, /*non_blocking=*/true),
            targets.is_floating_point() ? targets.to(device, dtype, /*non_blocking=*/true)
                                        : targets.to(device, /*non_blocking=*/true)};
  }
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Training batches per epoch.
  virtual int64_t train_batches() const = 0;
  /// Called once before training on `device`: a data set may move its tensors there (or
  /// into pinned host memory for asynchronous copies), so that its batches come from
  /// there. The batches' values do not change, only where they live.
  virtual void place_on(const torch::Device& device) { (void)device; }
  /// Called before each epoch (from 1); shuffling data sets reorder here.
  virtual void start_epoch(int64_t epoch, uint64_t seed) {
    (void)epoch;
    (void)seed;
  }
  virtual Batch train_batch(int64_t index) = 0;
  /// Test batches (0 when the data set has no test split).
  virtual int64_t test_batches() const { return 0; }
  virtual Batch test_batch(int64_t index);
  /// Validation batches held out of the training data (0 when none).
  virtual int64_t validation_batches() const { return 0; }
  virtual Batch validation_batch(int64_t index);
  /// Whether targets are class indices (then accuracies are logged).
  virtual bool classification() const = 0;
};

using DatasetFactory = std::function<std::unique_ptr<Dataset>(const nlohmann::json& options)>;
using DatasetRegistry = Registry<DatasetFactory>;

void register_builtin_datasets(DatasetRegistry& registry);

/// The seed's single example: inputs (i1, i2) and targets (t1, t2), one batch of one sample.
class SeedExample : public Dataset {
 public:
  SeedExample(std::vector<double> inputs, std::vector<double> targets);
  int64_t train_batches() const override { return 1; }
  void place_on(const torch::Device& device) override;
  Batch train_batch(int64_t index) override;
  bool classification() const override { return false; }

 private:
  Batch batch_;
};

}  // namespace torchsweep
