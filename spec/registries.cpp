#include "spec/registries.h"

namespace torchsweep {

Registries& registries() {
  static Registries* instance = [] {
    auto* r = new Registries();
    register_builtin_models(r->models);
    register_builtin_datasets(r->datasets);
    register_builtin_losses(r->losses);
    register_builtin_optimizers(r->optimizers);
    register_builtin_schedules(r->schedules);
    return r;
  }();
  return *instance;
}

void register_model(std::string name, std::string description, std::vector<Field> options, ModelFactory factory) {
  registries().models.add({std::move(name), std::move(description), std::move(options), std::move(factory)});
}

}  // namespace torchsweep
