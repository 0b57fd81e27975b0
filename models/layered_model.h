// A model made of declared layers (see layers.h): the base of the sequential model,
// the seed's CNN and the model zoo.
#pragma once

#include "models/model.h"

namespace torchsweep {

class LayeredModel : public Model {
 public:
  /// Builds `layers` for per-sample inputs of `input_shape`; LayerError when one does not fit.
  LayeredModel(const nlohmann::json& layers, std::vector<int64_t> input_shape);

  torch::Tensor forward(const torch::Tensor& inputs) override { return layers_->forward(inputs); }
  std::vector<int64_t> input_shape() const override { return input_shape_; }
  std::vector<LayerInfo> layer_info() const override { return info_; }
  bool reads_itself_at_logged_steps() const override { return false; }
  /// The layers as built.
  const torch::nn::Sequential& layers() const { return layers_; }

 private:
  torch::nn::Sequential layers_;
  std::vector<int64_t> input_shape_;
  std::vector<LayerInfo> info_;
};

/// The options every layered model shares: the per-sample input shape.
Field input_shape_field(std::vector<double> default_shape);
std::vector<int64_t> input_shape_from(const nlohmann::json& options);

}  // namespace torchsweep
