// Adam whose update runs as a few multi-tensor kernels on a GPU, and can be captured in
// a CUDA graph.
//
// torch::optim::Adam updates one parameter at a time, some eight kernels per tensor,
// and computes its bias corrections on the host. ForeachAdam is torch::optim::Adam with
// the same options, the same per-parameter state (AdamParamState, keyed as LibTorch
// keys it: checkpoints move between the two both ways) and the same arithmetic per
// element, whose step applies each operation to all of a group's tensors at once (bit
// for bit LibTorch's on the CPU). Made capturable (optim/capturable.h), it reads the
// rate and the step counts from the device and computes the bias corrections there.
#pragma once

#include <torch/torch.h>

#include "optim/foreach_optimizer.h"

namespace torchsweep {

class ForeachAdam : public ForeachOptimizer<torch::optim::Adam, torch::optim::AdamOptions,
                                              torch::optim::AdamParamState> {
 public:
  ForeachAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options, Use use = Use::Auto)
      : ForeachOptimizer(std::move(params), std::move(options), use) {}

  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace torchsweep
