#include "models/s6_cnn.h"

namespace torchsweep {

nlohmann::json s6_cnn_layers(const S6CnnOptions& options) {
  nlohmann::json layers = nlohmann::json::array();
  auto block = [&](int64_t out, int64_t kernel, int64_t padding) {
    layers.push_back({{"conv2d", {{"out", out}, {"kernel", kernel}, {"padding", padding}}}});
    layers.push_back("relu");
    layers.push_back("batchnorm2d");
  };
  auto dropout = [&] { layers.push_back({{"dropout2d", {{"p", options.dropout}}}}); };
  block(16, 3, 0);  // 16x26x26
  block(16, 3, 0);  // 16x24x24
  block(16, 3, 0);  // 16x22x22
  layers.push_back({{"maxpool2d", {{"kernel", 2}}}});  // 16x11x11
  block(16, 1, 0);  // 16x11x11
  block(16, 3, 0);  // 16x9x9
  dropout();
  block(16, 3, 0);  // 16x7x7
  dropout();
  block(16, 3, 0);  // 16x5x5
  dropout();
  block(16, 3, 1);  // 16x5x5
  dropout();
  block(32, 3, 1);  // 32x5x5
  dropout();
  layers.push_back({{"avgpool2d", {{"kernel", 5}}}});  // 32x1x1
  layers.push_back("flatten");
  layers.push_back({{"linear", {{"out", 10}}}});
  layers.push_back("log_softmax");
  return layers;
}

void register_s6_cnn(ModelRegistry& registry) {
  registry.add({"s6_cnn",
                "the seed notebook's MNIST CNN: 9 conv-relu-batchnorm blocks, GAP, linear, log_softmax (19,642 params)",
                {Field::number("dropout", S6CnnOptions{}.dropout, "Dropout2d probability after blocks 5-9")
                     .at_least(0)
                     .at_most(1)},
                [](const nlohmann::json& options) -> std::shared_ptr<Model> {
                  S6CnnOptions o;
                  o.dropout = options.at("dropout").get<double>();
                  return std::make_shared<LayeredModel>(s6_cnn_layers(o), std::vector<int64_t>{1, 28, 28});
                }});
}

}  // namespace torchsweep
