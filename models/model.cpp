#include "models/model.h"

#include "models/backprop_2x2x2.h"

namespace torchsweep {

void register_builtin_models(ModelRegistry& registry) { register_backprop_2x2x2(registry); }

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace torchsweep
