// Adagrad whose update runs as a few multi-tensor kernels on a GPU, and can be captured
// in a CUDA graph: torch::optim::Adagrad with the same options, the same per-parameter
// state (AdagradParamState, started for every parameter when it is built, as LibTorch
// does: checkpoints move between the two both ways) and the same arithmetic per element,
// applied to all of a group's tensors at once (bit for bit LibTorch's on the CPU). Made
// capturable (optim/capturable.h), it reads the rate and the step counts from the
// device and computes the decayed rate lr / (1 + (step - 1) * lr_decay) there.
// Sparse gradients take LibTorch's own step on the CPU; the multi-tensor step refuses them.
#pragma once

#include <torch/torch.h>

#include "optim/capturable.h"
#include "optim/device_scalars.h"

namespace torchsweep {

class ForeachAdagrad : public torch::optim::Adagrad, public CapturableOptimizer {
 public:
  ForeachAdagrad(std::vector<torch::Tensor> params, torch::optim::AdagradOptions options, Use use = Use::Auto);

  torch::Tensor step(LossClosure closure = nullptr) override;
  /// LibTorch's Adagrad archive, with the step counts the device advanced.
  void save(torch::serialize::OutputArchive& archive) const override;
  /// LibTorch's Adagrad archive; a capturable optimizer takes its step counts to the device.
  void load(torch::serialize::InputArchive& archive) override;

  torch::optim::Optimizer& optimizer() override { return *this; }
  void make_capturable() override { device_.start(*this); }
  bool capturable() const override { return device_.started(); }
  void sync_device_state() override { device_.sync_lr(*this); }
  void sync_host_state() const override { device_.write_steps(*this); }

 private:
  Use use_;
  DeviceScalars device_{step_in_state<torch::optim::AdagradParamState>,
                        set_step_in_state<torch::optim::AdagradParamState>};
};

}  // namespace torchsweep
