// Layers declared as data — `{conv2d: {out: 16, kernel: 3}}`, `relu`, ... — built
// into a torch::nn::Sequential with every output shape checked before training.
// The `sequential` model, the seed's CNN and the model zoo are all built this way,
// so `torchsweep summary` can walk any of them layer by layer.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace torchsweep {

/// A layer that does not fit: which one (from 0) and why.
class LayerError : public std::runtime_error {
 public:
  LayerError(size_t index, const std::string& message) : std::runtime_error(message), index_(index) {}
  size_t index() const { return index_; }

 private:
  size_t index_;
};

struct LayerInfo {
  std::string name;                 ///< "Conv2d-1", as torchsummary names them
  std::vector<int64_t> output;      ///< per-sample output shape
  int64_t parameters = 0;
};

struct BuiltLayers {
  torch::nn::Sequential sequential;
  std::vector<LayerInfo> layers;
};

/// Builds the layers for per-sample inputs of `input_shape` (e.g. {1, 28, 28}).
/// Each layer is a name ("relu") or a one-key mapping {name: {options}}; input
/// sizes (`in`) may be omitted and are then taken from the previous layer.
/// LayerError names the first layer that is unknown, badly configured or does not fit.
BuiltLayers build_layers(const nlohmann::json& layers, const std::vector<int64_t>& input_shape);

/// Layer names build_layers knows.
const std::vector<std::string>& layer_kinds();

}  // namespace torchsweep
