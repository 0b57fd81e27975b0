#include "models/model.h"

#include "models/backprop_2x2x2.h"
#include "models/resnet.h"
#include "models/s6_cnn.h"
#include "models/sequential.h"
#include "models/torchscript_model.h"
#include "models/zoo.h"

namespace torchsweep {

void register_builtin_models(ModelRegistry& registry) {
  register_backprop_2x2x2(registry);
  register_resnet(registry);
  register_s6_cnn(registry);
  register_sequential(registry);
  register_torchscript_model(registry);
  register_zoo_models(registry);
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace torchsweep
