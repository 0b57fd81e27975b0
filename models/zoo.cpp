#include "models/zoo.h"

namespace torchsweep {

nlohmann::json mlp_layers(const std::vector<int64_t>& sizes, const std::string& activation) {
  nlohmann::json layers = nlohmann::json::array({"flatten"});
  for (size_t i = 1; i < sizes.size(); ++i) {
    layers.push_back({{"linear", {{"out", sizes[i]}}}});
    if (i + 1 < sizes.size()) layers.push_back(activation);
  }
  layers.push_back("log_softmax");
  return layers;
}

nlohmann::json lenet5_layers() {
  return nlohmann::json::array({
      {{"conv2d", {{"out", 6}, {"kernel", 5}, {"padding", 2}}}}, "relu", {{"maxpool2d", {{"kernel", 2}}}},
      {{"conv2d", {{"out", 16}, {"kernel", 5}}}}, "relu", {{"maxpool2d", {{"kernel", 2}}}},
      "flatten", {{"linear", {{"out", 120}}}}, "relu", {{"linear", {{"out", 84}}}}, "relu",
      {{"linear", {{"out", 10}}}}, "log_softmax"});
}

void register_zoo_models(ModelRegistry& registry) {
  registry.add({"mlp", "multilayer perceptron: flatten, linear layers of `sizes`, log_softmax",
                {input_shape_field({1, 28, 28}),
                 Field::number_list("sizes", {784, 128, 10}, "layer widths, input features first").at_least(1),
                 Field::choice("activation", "relu", {"relu", "sigmoid", "tanh"}, "between the linear layers")},
                [](const nlohmann::json& options) -> std::shared_ptr<Model> {
                  std::vector<int64_t> sizes;
                  for (const auto& s : options.at("sizes")) sizes.push_back(static_cast<int64_t>(s.get<double>()));
                  return std::make_shared<LayeredModel>(mlp_layers(sizes, options.at("activation")),
                                                        input_shape_from(options));
                }});
  registry.add({"lenet5", "LeNet-5 for 1x28x28 images (61,706 parameters)", {},
                [](const nlohmann::json&) -> std::shared_ptr<Model> {
                  return std::make_shared<LayeredModel>(lenet5_layers(), std::vector<int64_t>{1, 28, 28});
                }});
}

}  // namespace torchsweep
