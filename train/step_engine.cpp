#include "train/step_engine.h"

namespace torchsweep {

namespace {

/// Where the model's parameters are: the scaler's tensors go there.
torch::Device parameters_device(Model& model) {
  const auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

}  // namespace

EagerStep::EagerStep(Model& model, torch::optim::Optimizer& optimizer, const LossFn& loss, Precision precision)
    : model_(model), optimizer_(optimizer), loss_(loss), precision_(precision) {
  if (precision == Precision::Fp16) scaler_ = std::make_unique<GradScaler>(parameters_device(model));
}

void EagerStep::step(const Batch& batch, int64_t step, EpochMeter& meter, const BeforeUpdate* before_update) {
  optimizer_.zero_grad();
  torch::Tensor outputs, loss;
  {
    AutocastScope autocast(precision_, batch.inputs.device());
    outputs = model_.forward(batch.inputs);
    loss = loss_(outputs, batch.targets);
  }
  meter.add(step, loss, outputs, batch.targets);
  if (!scaler_) {
    loss.backward();
    if (before_update) (*before_update)(batch.inputs, batch.targets, outputs);
    optimizer_.step();
    return;
  }
  scaler_->scale(loss).backward();
  // What reads the step sees the true gradients.
  if (before_update) {
    scaler_->unscale(optimizer_);
    (*before_update)(batch.inputs, batch.targets, outputs);
  }
  skipped_last_ = !scaler_->step(optimizer_, GradScaler::Skip::OnHost);
  scaler_->update();
}

}  // namespace torchsweep
