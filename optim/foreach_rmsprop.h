// RMSprop whose update runs as a few multi-tensor kernels on a GPU, and can be captured
// in a CUDA graph: torch::optim::RMSprop with the same options, the same per-parameter
// state (RMSpropParamState: checkpoints move between the two both ways) and the same
// arithmetic per element, applied to all of a group's tensors at once (bit for bit
// LibTorch's on the CPU). Made capturable (optim/capturable.h), it reads the rate from
// the device and counts steps there; RMSprop's arithmetic does not use the count.
#pragma once

#include <torch/torch.h>

#include "optim/capturable.h"
#include "optim/device_scalars.h"

namespace torchsweep {

class ForeachRMSprop : public torch::optim::RMSprop, public CapturableOptimizer {
 public:
  ForeachRMSprop(std::vector<torch::Tensor> params, torch::optim::RMSpropOptions options, Use use = Use::Auto);

  torch::Tensor step(LossClosure closure = nullptr) override;
  /// LibTorch's RMSprop archive, with the step counts the device advanced.
  void save(torch::serialize::OutputArchive& archive) const override;
  /// LibTorch's RMSprop archive; a capturable optimizer takes its step counts to the device.
  void load(torch::serialize::InputArchive& archive) override;

  torch::optim::Optimizer& optimizer() override { return *this; }
  void make_capturable() override { device_.start(*this); }
  bool capturable() const override { return device_.started(); }
  void sync_device_state() override { device_.sync_lr(*this); }
  void sync_host_state() const override { device_.write_steps(*this); }

 private:
  Use use_;
  DeviceScalars device_{step_in_state<torch::optim::RMSpropParamState>,
                        set_step_in_state<torch::optim::RMSpropParamState>};
};

}  // namespace torchsweep
