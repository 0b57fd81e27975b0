// SGD whose update runs as a few multi-tensor kernels on a GPU.
//
// torch::optim::SGD updates one parameter at a time: with momentum that is three
// kernels per parameter tensor (38 tensors in the seed's CNN, ~114 launches a step),
// and on a GPU the step is bound by the host's cost of launching them, not by the
// device. PyTorch's Python SGD uses the multi-tensor `_foreach` kernels for this; the
// C++ one does not. ForeachSGD is torch::optim::SGD with the same options, the same
// per-parameter state (so checkpoints are interchangeable) and the same arithmetic per
// element, whose step() applies each operation to all of a group's tensors at once.
// Made capturable (optim/capturable.h), it reads its rate from the device.
#pragma once

#include <torch/torch.h>

#include "optim/capturable.h"

namespace torchsweep {

class ForeachSGD : public torch::optim::SGD, public CapturableOptimizer {
 public:
  ForeachSGD(std::vector<torch::Tensor> params, torch::optim::SGDOptions options, Use use = Use::Auto);

  torch::Tensor step(LossClosure closure = nullptr) override;

  torch::optim::Optimizer& optimizer() override { return *this; }
  /// From now on a step reads each group's learning rate from a tensor on the
  /// parameters' device instead of the options: a step captured in a CUDA graph then
  /// follows a schedule (a rate read on the host would be frozen into the graph).
  /// Momentum, dampening and weight decay stay host numbers: schedules change only the
  /// rate, and SGD counts no steps.
  void make_capturable() override;
  bool capturable() const override { return lr_on_device_; }
  /// Writes each group's current lr (the options', as set_lr left it) into its device
  /// tensor where it changed: one small copy, no wait for the device.
  void sync_device_state() override;
  /// SGD's state (the momentum buffers) is all tensors, always current.
  void sync_host_state() const override {}

 private:
  Use use_;
  bool lr_on_device_ = false;
  std::vector<torch::Tensor> device_neg_lr_;  ///< per group: -lr, 0-dim, in the parameters' dtype
  std::vector<double> device_lr_value_;      ///< per group: the lr those tensors hold
};

}  // namespace torchsweep
