#include "models/resnet.h"

namespace torchsweep {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  // Registered in torchvision's order, so parameters and state dicts line up.
  conv1 = register_module("conv1", conv(in, out, 3, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
  conv2 = register_module("conv2", conv(out, out, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
  if (stride != 1 || in != out)
    downsample = register_module("downsample", torch::nn::Sequential(conv(in, out, 1, stride), torch::nn::BatchNorm2d(out)));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

ResNet18Cifar::ResNet18Cifar(const ResNetOptions& options) : options_(options) {
  const int64_t w = options.width;
  conv1_ = register_module("conv1", conv(options.in_channels, w, 3, 1));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(w));
  int64_t in = w;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t out = w << stage, stride = stage == 0 ? 1 : 2;
    stages_.push_back(register_module("layer" + std::to_string(stage + 1),
                                      torch::nn::Sequential(BasicBlock(in, out, stride), BasicBlock(out, out, 1))));
    in = out;
  }
  fc_ = register_module("fc", torch::nn::Linear(in, options.classes));

  // torchvision's initialisation, after every module has drawn its default one (the
  // same order of draws): convolutions kaiming normal with fan_out, batch norm 1 and 0.
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<torch::nn::Conv2d>()) {
      torch::NoGradGuard no_grad;
      torch::nn::init::kaiming_normal_(c->weight, 0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::NoGradGuard no_grad;
      bn->weight.fill_(1);
      bn->bias.fill_(0);
    }
  }

  // The layer table, in the order torchsummary's hooks see the modules finish.
  int64_t channels = w, size = 32;
  auto add = [&](const std::string& kind, std::vector<int64_t> output, int64_t parameters) {
    info_.push_back({kind + "-" + std::to_string(info_.size() + 1), std::move(output), parameters});
  };
  auto conv_bn = [&](int64_t cin, int64_t cout, int64_t kernel, int64_t side) {
    add("Conv2d", {cout, side, side}, cout * cin * kernel * kernel);
    add("BatchNorm2d", {cout, side, side}, 2 * cout);
  };
  conv_bn(options.in_channels, w, 3, size);
  add("ReLU", {w, size, size}, 0);
  for (int64_t stage = 0; stage < 4; ++stage) {
    for (int64_t block = 0; block < 2; ++block) {
      const int64_t out = w << stage;
      const bool strided = stage > 0 && block == 0;
      const int64_t side = strided ? (size - 1) / 2 + 1 : size;
      conv_bn(channels, out, 3, side);
      add("ReLU", {out, side, side}, 0);
      conv_bn(out, out, 3, side);
      if (strided || channels != out) conv_bn(channels, out, 1, side);
      add("ReLU", {out, side, side}, 0);
      add("BasicBlock", {out, side, side}, 0);
      channels = out;
      size = side;
    }
  }
  add("AdaptiveAvgPool2d", {channels, 1, 1}, 0);
  add("Linear", {options.classes}, channels * options.classes + options.classes);
  add("LogSoftmax", {options.classes}, 0);
}

torch::Tensor ResNet18Cifar::forward(const torch::Tensor& inputs) {
  auto x = torch::relu(bn1_(conv1_(inputs)));
  for (auto& stage : stages_) x = stage->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return torch::log_softmax(fc_(x), 1);
}

void register_resnet(ModelRegistry& registry) {
  const ResNetOptions d;
  registry.add(
      {"resnet18_cifar",
       "ResNet-18 for 32x32 images: 3x3 stem, no max-pool, log_softmax (11,173,962 params with 10 classes)",
       {Field::integer("classes", d.classes, "classes of the linear head").at_least(1),
        Field::integer("width", d.width, "channels of the first stage (then 2x, 4x, 8x)").at_least(1),
        Field::integer("in_channels", d.in_channels, "channels of the input images").at_least(1)},
       [](const nlohmann::json& options) -> std::shared_ptr<Model> {
         ResNetOptions o;
         o.classes = options.at("classes").get<int64_t>();
         o.width = options.at("width").get<int64_t>();
         o.in_channels = options.at("in_channels").get<int64_t>();
         return std::make_shared<ResNet18Cifar>(o);
       }});
}

}  // namespace torchsweep
