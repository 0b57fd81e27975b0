// AdamW (Adam with decoupled weight decay) whose update runs as a few multi-tensor
// kernels on a GPU, and can be captured in a CUDA graph: torch::optim::AdamW with the
// same options, the same per-parameter state (AdamWParamState: checkpoints move between
// the two both ways) and the same arithmetic per element, as ForeachAdam is to
// torch::optim::Adam (see optim/foreach_adam.h). Made capturable, its decay factor
// 1 - lr * weight_decay is computed on the device too.
#pragma once

#include <torch/torch.h>

#include "optim/capturable.h"
#include "optim/device_scalars.h"

namespace torchsweep {

class ForeachAdamW : public torch::optim::AdamW, public CapturableOptimizer {
 public:
  ForeachAdamW(std::vector<torch::Tensor> params, torch::optim::AdamWOptions options, Use use = Use::Auto);

  torch::Tensor step(LossClosure closure = nullptr) override;
  /// LibTorch's AdamW archive, with the step counts the device advanced.
  void save(torch::serialize::OutputArchive& archive) const override;
  /// LibTorch's AdamW archive; a capturable optimizer takes its step counts to the device.
  void load(torch::serialize::InputArchive& archive) override;

  torch::optim::Optimizer& optimizer() override { return *this; }
  void make_capturable() override { device_.start(*this); }
  bool capturable() const override { return device_.started(); }
  void sync_device_state() override { device_.sync_lr(*this); }
  void sync_host_state() const override { device_.write_steps(*this); }

 private:
  Use use_;
  DeviceScalars device_{step_in_state<torch::optim::AdamWParamState>, set_step_in_state<torch::optim::AdamWParamState>};
};

}  // namespace torchsweep
