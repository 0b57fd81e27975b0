#include "models/layers.h"

#include <optional>
#include <set>

namespace torchsweep {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "x" : "") + std::to_string(shape[i]);
  return out;
}

/// Reads a layer's options with their defaults, rejecting unknown ones.
class LayerOptions {
 public:
  LayerOptions(size_t index, std::string kind, nlohmann::json options)
      : index_(index), kind_(std::move(kind)), options_(std::move(options)) {
    if (!options_.is_object() && !options_.is_null())
      throw LayerError(index_, kind_ + ": expected a mapping of options, got " + options_.dump());
  }
  int64_t integer(const std::string& key, std::optional<int64_t> fallback, int64_t min = 1) {
    used_.insert(key);
    if (!options_.is_object() || !options_.contains(key)) {
      if (!fallback) throw LayerError(index_, kind_ + ": missing option '" + key + "'");
      return *fallback;
    }
    const auto& v = options_[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min)
      throw LayerError(index_, kind_ + "." + key + ": expected an integer >= " + std::to_string(min) + ", got " + v.dump());
    return v.get<int64_t>();
  }
  double number(const std::string& key, double fallback, double min, double max) {
    used_.insert(key);
    if (!options_.is_object() || !options_.contains(key)) return fallback;
    const auto& v = options_[key];
    if (!v.is_number() || v.get<double>() < min || v.get<double>() > max)
      throw LayerError(index_, kind_ + "." + key + ": expected a number in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], got " + v.dump());
    return v.get<double>();
  }
  bool boolean(const std::string& key, bool fallback) {
    used_.insert(key);
    if (!options_.is_object() || !options_.contains(key)) return fallback;
    if (!options_[key].is_boolean())
      throw LayerError(index_, kind_ + "." + key + ": expected true or false, got " + options_[key].dump());
    return options_[key].get<bool>();
  }
  void finish() const {
    if (!options_.is_object()) return;
    for (const auto& item : options_.items())
      if (!used_.count(item.key()))
        throw LayerError(index_, kind_ + ": unknown option '" + item.key() + "'");
  }

 private:
  size_t index_;
  std::string kind_;
  nlohmann::json options_;
  std::set<std::string> used_;
};

/// Output size of a convolution or pooling window; 0 when the window does not fit.
int64_t pooled(int64_t size, int64_t kernel, int64_t stride, int64_t padding) {
  if (size + 2 * padding < kernel) return 0;
  return (size + 2 * padding - kernel) / stride + 1;
}

}  // namespace

const std::vector<std::string>& layer_kinds() {
  static const std::vector<std::string> kinds = {"avgpool2d", "batchnorm1d", "batchnorm2d", "conv2d",  "dropout",
                                                 "dropout2d", "flatten",     "linear",      "log_softmax", "maxpool2d",
                                                 "relu",      "sigmoid",     "softmax",     "tanh"};
  return kinds;
}

BuiltLayers build_layers(const nlohmann::json& layers, const std::vector<int64_t>& input_shape) {
  if (!layers.is_array() || layers.empty()) throw LayerError(0, "expected a non-empty list of layers");
  BuiltLayers built;
  std::vector<int64_t> shape = input_shape;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    std::string kind;
    nlohmann::json options;
    if (layer.is_string()) {
      kind = layer.get<std::string>();
    } else if (layer.is_object() && layer.size() == 1) {
      kind = layer.begin().key();
      options = layer.begin().value();
    } else {
      throw LayerError(i, "expected a layer name or a one-key mapping such as {conv2d: {out: 16, kernel: 3}}, got " +
                              layer.dump());
    }
    LayerOptions o(i, kind, options);
    auto need_dims = [&](size_t dims) {
      if (shape.size() != dims)
        throw LayerError(i, kind + ": expects " + std::to_string(dims) + "-d input per sample, gets " + shape_text(shape));
    };
    auto check_in = [&](int64_t actual) {
      const int64_t in = o.integer("in", actual);
      if (in != actual)
        throw LayerError(i, kind + ".in: the layer before gives " + std::to_string(actual) + ", got " + std::to_string(in));
      return in;
    };
    torch::nn::AnyModule module;
    std::string display;
    if (kind == "conv2d") {
      need_dims(3);
      const int64_t in = check_in(shape[0]);
      const int64_t out = o.integer("out", std::nullopt);
      const int64_t kernel = o.integer("kernel", std::nullopt);
      const int64_t stride = o.integer("stride", 1);
      const int64_t padding = o.integer("padding", 0, 0);
      const bool bias = o.boolean("bias", true);
      const int64_t h = pooled(shape[1], kernel, stride, padding), w = pooled(shape[2], kernel, stride, padding);
      if (h < 1 || w < 1)
        throw LayerError(i, "conv2d: kernel " + std::to_string(kernel) + " does not fit input " + shape_text(shape));
      module = torch::nn::AnyModule(
          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias)));
      shape = {out, h, w};
      display = "Conv2d";
    } else if (kind == "linear") {
      need_dims(1);
      const int64_t in = check_in(shape[0]);
      const int64_t out = o.integer("out", std::nullopt);
      module = torch::nn::AnyModule(torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(o.boolean("bias", true))));
      shape = {out};
      display = "Linear";
    } else if (kind == "batchnorm2d") {
      need_dims(3);
      module = torch::nn::AnyModule(torch::nn::BatchNorm2d(check_in(shape[0])));
      display = "BatchNorm2d";
    } else if (kind == "batchnorm1d") {
      need_dims(1);
      module = torch::nn::AnyModule(torch::nn::BatchNorm1d(check_in(shape[0])));
      display = "BatchNorm1d";
    } else if (kind == "maxpool2d" || kind == "avgpool2d") {
      need_dims(3);
      const int64_t kernel = o.integer("kernel", std::nullopt);
      const int64_t stride = o.integer("stride", kernel);
      const int64_t h = pooled(shape[1], kernel, stride, 0), w = pooled(shape[2], kernel, stride, 0);
      if (h < 1 || w < 1)
        throw LayerError(i, kind + ": kernel " + std::to_string(kernel) + " does not fit input " + shape_text(shape));
      if (kind == "maxpool2d")
        module = torch::nn::AnyModule(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(kernel).stride(stride)));
      else
        module = torch::nn::AnyModule(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(kernel).stride(stride)));
      shape = {shape[0], h, w};
      display = kind == "maxpool2d" ? "MaxPool2d" : "AvgPool2d";
    } else if (kind == "dropout" || kind == "dropout2d") {
      const double p = o.number("p", 0.5, 0.0, 1.0);
      if (kind == "dropout2d") need_dims(3);
      module = kind == "dropout" ? torch::nn::AnyModule(torch::nn::Dropout(p)) : torch::nn::AnyModule(torch::nn::Dropout2d(p));
      display = kind == "dropout" ? "Dropout" : "Dropout2d";
    } else if (kind == "flatten") {
      int64_t n = 1;
      for (auto d : shape) n *= d;
      module = torch::nn::AnyModule(torch::nn::Flatten());
      shape = {n};
      display = "Flatten";
    } else if (kind == "relu") {
      module = torch::nn::AnyModule(torch::nn::ReLU());
      display = "ReLU";
    } else if (kind == "sigmoid") {
      module = torch::nn::AnyModule(torch::nn::Sigmoid());
      display = "Sigmoid";
    } else if (kind == "tanh") {
      module = torch::nn::AnyModule(torch::nn::Tanh());
      display = "Tanh";
    } else if (kind == "log_softmax" || kind == "softmax") {
      need_dims(1);
      module = kind == "log_softmax" ? torch::nn::AnyModule(torch::nn::LogSoftmax(1)) : torch::nn::AnyModule(torch::nn::Softmax(1));
      display = kind == "log_softmax" ? "LogSoftmax" : "Softmax";
    } else {
      std::string names;
      for (const auto& k : layer_kinds()) names += (names.empty() ? "" : ", ") + k;
      throw LayerError(i, "unknown layer '" + kind + "', expected one of: " + names);
    }
    o.finish();
    built.sequential->push_back(module);
    LayerInfo info;
    info.name = display + "-" + std::to_string(i + 1);  // numbered by position, as torchsummary does
    info.output = shape;
    for (const auto& p : module.ptr()->parameters()) info.parameters += p.numel();
    built.layers.push_back(std::move(info));
  }
  return built;
}

}  // namespace torchsweep
