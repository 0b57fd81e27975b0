// The Adam update as multi-tensor kernels: what ForeachAdam and ForeachAdamW share (the
// moments, the bias corrections, the step). Each applies LibTorch's Adam arithmetic to
// all of a group's tensors at once, per element the operations torch::optim::Adam
// applies to one tensor, in the same order.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "optim/device_scalars.h"
#include "optim/param_state.h"

namespace torchsweep {

/// A group's parameters that have gradients, with their Adam state.
struct AdamGroupTensors {
  std::vector<size_t> indices;  ///< into the group's params()
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
  std::vector<int64_t> steps;  ///< each parameter's step count, this step included (host counts)
};

struct AdamNumbers {
  double lr, beta1, beta2, eps;
  bool amsgrad;
};

/// Gathers group `group`'s parameters that have gradients, starting their state
/// (AdamParamState or AdamWParamState) as LibTorch does at a parameter's first step.
/// With `count_on_host` each one's step count advances in its state; a capturable
/// optimizer counts on the device instead.
template <typename ParamState>
AdamGroupTensors gather_adam_group(torch::optim::Optimizer& optimizer, const torch::optim::OptimizerParamGroup& group,
                                   bool amsgrad, bool count_on_host) {
  AdamGroupTensors out;
  const auto& params = group.params();
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    if (!p.grad().defined()) continue;
    TORCH_CHECK(!p.grad().is_sparse(), "Adam does not support sparse gradients");
    ParamState* state = find_param_state<ParamState>(optimizer, p);
    if (!state) {
      auto entry = std::make_unique<ParamState>();
      entry->step(0);
      entry->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      entry->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      if (amsgrad) entry->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      state = &set_param_state(optimizer, p, std::move(entry));
    }
    if (count_on_host) state->step(state->step() + 1);
    out.indices.push_back(i);
    out.params.push_back(p);
    out.grads.push_back(p.grad());
    out.exp_avgs.push_back(state->exp_avg());
    out.exp_avg_sqs.push_back(state->exp_avg_sq());
    if (amsgrad) out.max_exp_avg_sqs.push_back(state->max_exp_avg_sq());
    out.steps.push_back(state->step());
  }
  return out;
}

/// Updates the moments and applies the step to the parameters. The gradients are the
/// ones to use (Adam's L2 term added). With `device` (a capturable optimizer, group
/// `g`) the rate and step counts are read from the device and the counts advance there.
void adam_update(AdamGroupTensors& tensors, const AdamNumbers& numbers, DeviceScalars* device = nullptr,
                 size_t g = 0);

}  // namespace torchsweep
