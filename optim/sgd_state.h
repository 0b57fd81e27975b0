// SGD's per-parameter state (the momentum buffer) as LibTorch keeps it, so that state
// written by torchsweep's own SGD steps is state torch::optim::SGD and its
// serialisation recognise.
#pragma once

#include <torch/torch.h>

#include "optim/param_state.h"

namespace torchsweep {

/// Sets parameter p's momentum buffer in an SGD optimizer (replacing any).
inline void set_momentum_buffer(torch::optim::Optimizer& sgd, const torch::Tensor& p, torch::Tensor buffer) {
  auto entry = std::make_unique<torch::optim::SGDParamState>();
  entry->momentum_buffer(std::move(buffer));
  set_param_state(sgd, p, std::move(entry));
}

}  // namespace torchsweep
