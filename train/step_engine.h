// How one optimizer step runs. The trainer's loop decides when to read metrics,
// evaluate, checkpoint and move the learning rate; an engine takes one batch through
// forward, loss, backward and the update. Today's engine is eager; a captured CUDA
// graph or K configurations fused into one model fit behind the same interface.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "data/datasets.h"
#include "models/model.h"
#include "optim/losses.h"
#include "train/epoch_meter.h"

namespace torchsweep {

class StepEngine {
 public:
  virtual ~StepEngine() = default;
  /// What the step looks like after backward and before the update: a model's
  /// per-step metrics read the weights the loss was computed with.
  using BeforeUpdate = std::function<void(const torch::Tensor& inputs, const torch::Tensor& targets,
                                          const torch::Tensor& outputs)>;
  /// Trains on `batch` (on the device, in the model's dtype) as step `step`, adding its
  /// loss and correct count to `meter` without waiting for the device; calls
  /// `before_update` when it is set.
  virtual void step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) = 0;
  /// "eager", ...: which engine ran, for the record.
  virtual const char* name() const = 0;
};

/// The step as written: zero_grad, forward, loss, backward, optimizer step.
class EagerStep : public StepEngine {
 public:
  EagerStep(Model& model, torch::optim::Optimizer& optimizer, const LossFn& loss)
      : model_(model), optimizer_(optimizer), loss_(loss) {}
  void step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) override;
  const char* name() const override { return "eager"; }

 private:
  Model& model_;
  torch::optim::Optimizer& optimizer_;
  const LossFn& loss_;
};

}  // namespace torchsweep
