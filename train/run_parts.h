// Everything one run trains with, built from its resolved config: the device (threads
// and determinism set for it), the model on it, the data placed for it, the loss, the
// optimizer, the schedule and the training plan.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/datasets.h"
#include "models/model.h"
#include "optim/losses.h"
#include "optim/schedules.h"
#include "spec/training_plan.h"

namespace torchsweep {

struct RunParts {
  torch::Device device{torch::kCPU};
  uint64_t seed = 0;
  std::shared_ptr<Model> model;
  std::unique_ptr<Dataset> data;
  LossFn loss;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  double base_lr = 0.0;                    ///< the optimizer's lr before any schedule
  std::unique_ptr<LrSchedule> schedule;    ///< null without a scheduler
  TrainingPlan plan;
};

/// Builds the run, in the order that makes it reproducible: threads, the seed, the
/// device and determinism, then the model (its initial weights come from the seed),
/// data, loss, optimizer, plan and schedule. `default_threads` applies where the config
/// leaves train.threads at 0 (0: the machine's cores).
RunParts build_run(const nlohmann::json& config, int64_t default_threads);

/// Batches of a data set for training on a device: one epoch's order at a time (from
/// the run's seed and the epoch only, so a resumed epoch sees the same), each batch on
/// the device in the model's dtype.
class BatchSource {
 public:
  BatchSource(Dataset& data, const torch::Device& device, torch::Dtype dtype, uint64_t seed)
      : data_(data), device_(device), dtype_(dtype), seed_(seed) {}
  int64_t batches_per_epoch() const { return data_.train_batches(); }
  void start_epoch(int64_t epoch) { data_.start_epoch(epoch, seed_); }
  Batch batch(int64_t index) const { return data_.train_batch(index).to(device_, dtype_); }

 private:
  Dataset& data_;
  torch::Device device_;
  torch::Dtype dtype_;
  uint64_t seed_;
};

}  // namespace torchsweep
