#include "models/layered_model.h"

namespace torchsweep {

LayeredModel::LayeredModel(const nlohmann::json& layers, std::vector<int64_t> input_shape)
    : input_shape_(std::move(input_shape)) {
  BuiltLayers built = build_layers(layers, input_shape_);
  layers_ = register_module("layers", built.sequential);
  info_ = std::move(built.layers);
}

Field input_shape_field(std::vector<double> default_shape) {
  return Field::number_list("input", std::move(default_shape), "per-sample input shape, e.g. [1, 28, 28]").at_least(1);
}

std::vector<int64_t> input_shape_from(const nlohmann::json& options) {
  std::vector<int64_t> shape;
  for (const auto& d : options.at("input")) shape.push_back(static_cast<int64_t>(d.get<double>()));
  return shape;
}

}  // namespace torchsweep
