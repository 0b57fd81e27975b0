// AdamW (Adam with decoupled weight decay) whose update runs as a few multi-tensor
// kernels on a GPU, and can be captured in a CUDA graph: torch::optim::AdamW with the
// same options, the same per-parameter state (AdamWParamState: checkpoints move between
// the two both ways) and the same arithmetic per element, as ForeachAdam is to
// torch::optim::Adam (see optim/foreach_adam.h). Made capturable, its decay factor
// 1 - lr * weight_decay is computed on the device too.
#pragma once

#include <torch/torch.h>

#include "optim/foreach_optimizer.h"

namespace torchsweep {

class ForeachAdamW : public ForeachOptimizer<torch::optim::AdamW, torch::optim::AdamWOptions,
                                              torch::optim::AdamWParamState> {
 public:
  ForeachAdamW(std::vector<torch::Tensor> params, torch::optim::AdamWOptions options, Use use = Use::Auto)
      : ForeachOptimizer(std::move(params), std::move(options), use) {}

  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace torchsweep
