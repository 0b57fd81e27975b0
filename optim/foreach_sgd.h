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

 private:
  Use use_;
};

}  // namespace torchsweep
