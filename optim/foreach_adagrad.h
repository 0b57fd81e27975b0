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

#include "optim/foreach_optimizer.h"

namespace torchsweep {

class ForeachAdagrad : public ForeachOptimizer<torch::optim::Adagrad, torch::optim::AdagradOptions,
                                              torch::optim::AdagradParamState> {
 public:
  ForeachAdagrad(std::vector<torch::Tensor> params, torch::optim::AdagradOptions options, Use use = Use::Auto)
      : ForeachOptimizer(std::move(params), std::move(options), use) {}

  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace torchsweep
