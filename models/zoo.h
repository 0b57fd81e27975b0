// Small classic models, each a few declared layers: mlp and lenet5.
#pragma once

#include "models/layered_model.h"

namespace torchsweep {

/// Flatten, then Linear layers of `sizes` (first = input features) with
/// `activation` between them, log_softmax at the end.
nlohmann::json mlp_layers(const std::vector<int64_t>& sizes, const std::string& activation);

/// LeNet-5 for 1x28x28 inputs: conv(6,5,pad 2)-relu-maxpool, conv(16,5)-relu-maxpool,
/// 120-84-10 linear layers with relu, log_softmax (61,706 parameters).
nlohmann::json lenet5_layers();

void register_zoo_models(ModelRegistry& registry);

}  // namespace torchsweep
