// Everything one run trains with, built from its resolved config: the device (threads
// and determinism set for it), the model on it, the data placed for it, the loss, the
// optimizer, the schedule, the training plan and the precision its steps compute in.
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
#include "train/precision.h"

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
  Precision precision = Precision::Fp32;  ///< train.precision
  /// train.memory_format as resolved for the device and model (`auto` is never left):
  /// "contiguous" or "channels_last".
  std::string memory_format = "contiguous";
};

/// Builds the run, in the order that makes it reproducible: threads, the seed, the
/// device and determinism, then the model (its initial weights come from the seed),
/// data, loss, optimizer, plan and schedule. A precision the device cannot train in
/// (fp16 off CUDA) is an InputError before anything is built. `default_threads` applies where the config
/// leaves train.threads at 0 (0: the machine's cores).
RunParts build_run(const nlohmann::json& config, int64_t default_threads);

}  // namespace torchsweep
