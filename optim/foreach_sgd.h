// SGD whose update runs as a few multi-tensor kernels on a GPU.
//
// torch::optim::SGD updates one parameter at a time: with momentum that is three
// kernels per parameter tensor (38 tensors in the seed's CNN, ~114 launches a step),
// and on a GPU the step is bound by the host's cost of launching them, not by the
// device. PyTorch's Python SGD uses the multi-tensor `_foreach` kernels for this; the
// C++ one does not. ForeachSGD is torch::optim::SGD with the same options, the same
// per-parameter state (so checkpoints are interchangeable) and the same arithmetic per
// element, whose step() applies each operation to all of a group's tensors at once.
#pragma once

#include <torch/torch.h>

namespace torchsweep {

class ForeachSGD : public torch::optim::SGD {
 public:
  /// When the multi-tensor step is used: on CUDA parameters (Auto), or always (tests;
  /// on the CPU the `_foreach` kernels apply the same per-tensor operations).
  enum class Use { Auto, Always };

  ForeachSGD(std::vector<torch::Tensor> params, torch::optim::SGDOptions options, Use use = Use::Auto);

  torch::Tensor step(LossClosure closure = nullptr) override;

  /// From now on a step reads each group's learning rate from a tensor on the
  /// parameters' device instead of the options: a step captured in a CUDA graph then
  /// follows a schedule (a rate read on the host would be frozen into the graph). The
  /// tensors are refreshed from the options by sync_device_lr(), which must run before
  /// each step and outside any capture. Momentum, dampening and weight decay stay host
  /// numbers: schedules change only the rate.
  void keep_lr_on_device();
  /// Writes each group's current lr (the options', as set_lr left it) into its device
  /// tensor where it changed: one small copy, no wait for the device.
  void sync_device_lr();
  bool lr_on_device() const { return lr_on_device_; }

 private:
  Use use_;
  bool lr_on_device_ = false;
  std::vector<torch::Tensor> device_neg_lr_;  ///< per group: -lr, 0-dim, in the parameters' dtype
  std::vector<double> device_lr_value_;      ///< per group: the lr those tensors hold
};

}  // namespace torchsweep
