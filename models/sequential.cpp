#include "models/sequential.h"

#include "base/spec_node.h"

namespace torchsweep {

void register_sequential(ModelRegistry& registry) {
  ModelRegistry::Entry entry{
      "sequential", "layers declared in the spec (conv2d, linear, relu, batchnorm2d, maxpool2d, dropout, ...)",
      {input_shape_field({1, 28, 28}), Field::any("layers", nlohmann::json::array(), "the list of layers").make_required()},
      [](const nlohmann::json& options) -> std::shared_ptr<Model> {
        return std::make_shared<LayeredModel>(options.at("layers"), input_shape_from(options));
      }};
  entry.check = [](const SpecNode& section, const nlohmann::json& options) {
    try {
      build_layers(options.at("layers"), input_shape_from(options));
    } catch (const LayerError& e) {
      const SpecNode* layers = section.find("layers");
      const Mark mark = layers && layers->is_list() && e.index() < layers->items().size()
                            ? layers->items()[e.index()].mark()
                            : (layers ? layers->mark() : section.mark());
      throw SpecError(mark, "model.layers[" + std::to_string(e.index()) + "]", e.what());
    }
  };
  registry.add(std::move(entry));
}

}  // namespace torchsweep
