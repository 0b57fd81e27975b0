// A custom model for torchsweep: define it, register it with one line, and the
// whole torchsweep command line (run, validate, results, ...) knows it by name.
#include <torchsweep/models/model.h>
#include <torchsweep/spec/registries.h>
#include <torchsweep/cli/cli.h>

#include <iostream>

/// Two convolutions and a linear layer for 1x28x28 images.
class TinyCnn : public torchsweep::Model {
 public:
  explicit TinyCnn(int64_t width)
      : conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, width, 3).stride(2)))),
        conv2_(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, width, 3).stride(2)))),
        fc_(register_module("fc", torch::nn::Linear(width * 6 * 6, 10))) {}

  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = torch::relu(conv2_->forward(torch::relu(conv1_->forward(x))));
    return torch::log_softmax(fc_->forward(h.flatten(1)), 1);
  }

 private:
  torch::nn::Conv2d conv1_, conv2_;
  torch::nn::Linear fc_;
};

int main(int argc, char** argv) {
  torchsweep::register_model("tiny_cnn", "two stride-2 convolutions and a linear layer",
                             {torchsweep::Field::integer("width", 8, "channels of both convolutions").at_least(1)},
                             [](const nlohmann::json& o) { return std::make_shared<TinyCnn>(o.at("width").get<int64_t>()); });
  return torchsweep::run_cli(argc, argv, std::cout, std::cerr);
}
