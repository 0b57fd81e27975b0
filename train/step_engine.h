// How one optimizer step runs. The trainer's loop decides when to read metrics,
// evaluate, checkpoint and move the learning rate; an engine takes one batch through
// forward, loss, backward and the update. Today's engine is eager; a captured CUDA
// graph fits behind the same interface.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "data/datasets.h"
#include "models/model.h"
#include "optim/losses.h"
#include "train/epoch_meter.h"
#include "train/precision.h"

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
  /// The fp16 loss scaler the steps go through (null at other precisions): its state
  /// belongs in the run's checkpoints.
  virtual GradScaler* grad_scaler() { return nullptr; }
};

/// The step as written: zero_grad, forward, loss, backward, optimizer step. At bf16 or
/// fp16 the forward pass and the loss run under autocast (train/precision.h); at fp16
/// the loss is scaled for backward and the update goes through the scaler, which skips
/// it (reading its inf flag on the host) where the gradients overflowed.
class EagerStep : public StepEngine {
 public:
  EagerStep(Model& model, torch::optim::Optimizer& optimizer, const LossFn& loss,
            Precision precision = Precision::Fp32);
  void step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) override;
  const char* name() const override { return "eager"; }
  GradScaler* grad_scaler() override { return scaler_.get(); }
  /// Whether the last step's update was skipped (fp16: its gradients were not finite).
  bool skipped_last() const { return skipped_last_; }

 private:
  Model& model_;
  torch::optim::Optimizer& optimizer_;
  const LossFn& loss_;
  Precision precision_;
  std::unique_ptr<GradScaler> scaler_;  ///< fp16 only
  bool skipped_last_ = false;
};

}  // namespace torchsweep
