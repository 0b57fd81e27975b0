// Optimizers and their registry: LibTorch's own optimizers in their multi-tensor,
// capturable form (optim/capturable.h), configured from the optimizer section of a
// run's config.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/registry.h"

namespace torchsweep {

using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(
    std::vector<torch::Tensor> parameters, const nlohmann::json& options)>;
using OptimizerRegistry = Registry<OptimizerFactory>;

void register_builtin_optimizers(OptimizerRegistry& registry);

/// The learning rate of the first parameter group.
double current_lr(const torch::optim::Optimizer& optimizer);

}  // namespace torchsweep
