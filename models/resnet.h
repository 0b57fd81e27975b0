// ResNet-18 in its CIFAR form: torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2],
// widths 64-128-256-512, batch norm, a 1x1 convolution and batch norm on the shortcut
// where a block changes the shape) with a 3x3 stride-1 stem and no max-pool, so that
// 32x32 images keep their resolution into the first stage. 11,173,962 parameters with
// a 10-class head, as torchvision's resnet18(num_classes=10) adapted the same way.
//
// Its modules carry torchvision's names (conv1, bn1, layer1.0.conv1, ...,
// layer2.0.downsample.0, fc), so a state dict maps one to one, and its weights start
// as torchvision initialises them (kaiming normal, fan_out, for convolutions; batch
// norm weight 1 and bias 0; the linear layer's default), so runs compare with the
// usual PyTorch recipes. Like the rest of the zoo it ends in log_softmax (loss `nll`);
// `cross_entropy` on its output gives the same numbers, since log_softmax leaves
// log-probabilities unchanged.
#pragma once

#include "models/model.h"

namespace torchsweep {

struct ResNetOptions {
  /// Classes of the linear head.
  int64_t classes = 10;
  /// Channels of the first stage; the later stages have 2, 4 and 8 times as many.
  int64_t width = 64;
  /// Channels of the input images.
  int64_t in_channels = 3;
};

/// Two 3x3 convolutions with batch norm, and the shortcut around them (a 1x1
/// convolution and batch norm where the stride or the channels change).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  /// Whether the shortcut has its own convolution.
  bool downsamples() const { return !downsample.is_empty(); }

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class ResNet18Cifar : public Model {
 public:
  explicit ResNet18Cifar(const ResNetOptions& options = {});

  torch::Tensor forward(const torch::Tensor& inputs) override;
  std::vector<int64_t> input_shape() const override { return {options_.in_channels, 32, 32}; }
  /// Every module's output in the order torchsummary hooks them (a block after its parts).
  std::vector<LayerInfo> layer_info() const override { return info_; }
  bool reads_itself_at_logged_steps() const override { return false; }

 private:
  ResNetOptions options_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Linear fc_{nullptr};
  std::vector<LayerInfo> info_;
};

void register_resnet(ModelRegistry& registry);

}  // namespace torchsweep
