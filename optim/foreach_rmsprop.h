// RMSprop whose update runs as a few multi-tensor kernels on a GPU, and can be captured
// in a CUDA graph: torch::optim::RMSprop with the same options, the same per-parameter
// state (RMSpropParamState: checkpoints move between the two both ways) and the same
// arithmetic per element, applied to all of a group's tensors at once (bit for bit
// LibTorch's on the CPU). Made capturable (optim/capturable.h), it reads the rate from
// the device and counts steps there; RMSprop's arithmetic does not use the count.
#pragma once

#include <torch/torch.h>

#include "optim/foreach_optimizer.h"

namespace torchsweep {

class ForeachRMSprop : public ForeachOptimizer<torch::optim::RMSprop, torch::optim::RMSpropOptions,
                                              torch::optim::RMSpropParamState> {
 public:
  ForeachRMSprop(std::vector<torch::Tensor> params, torch::optim::RMSpropOptions options, Use use = Use::Auto)
      : ForeachOptimizer(std::move(params), std::move(options), use) {}

  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace torchsweep
