// Loss functions and their registry.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "base/registry.h"

namespace torchsweep {

/// A batch's loss: a scalar tensor, the mean over the batch's samples.
using LossFn = std::function<torch::Tensor(const torch::Tensor& outputs, const torch::Tensor& targets)>;
using LossFactory = std::function<LossFn(const nlohmann::json& options)>;
using LossRegistry = Registry<LossFactory>;

/// ½ Σ_outputs (t − a)², averaged over the samples of the batch (the seed's E_total).
torch::Tensor half_sse(const torch::Tensor& outputs, const torch::Tensor& targets);

void register_builtin_losses(LossRegistry& registry);

}  // namespace torchsweep
