#include "models/summary.h"

#include <fmt/format.h>

namespace torchsweep {

namespace {
int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

constexpr double kMiB = 1024.0 * 1024.0;
}  // namespace

ModelSummary summarize_model(const Model& model) {
  ModelSummary s;
  s.layers = model.layer_info();
  s.input_shape = model.input_shape();
  for (const auto& p : model.parameters()) {
    s.total_parameters += p.numel();
    if (p.requires_grad()) s.trainable_parameters += p.numel();
  }
  int64_t activations = 0;
  for (const auto& layer : s.layers) activations += product(layer.output);
  const double bytes = static_cast<double>(torch::elementSize(model.dtype()));
  s.input_mb = s.input_shape.empty() ? 0.0 : static_cast<double>(product(s.input_shape)) * bytes / kMiB;
  s.forward_backward_mb = 2.0 * static_cast<double>(activations) * bytes / kMiB;  // outputs and their gradients
  s.parameters_mb = static_cast<double>(s.total_parameters) * bytes / kMiB;
  return s;
}

void print_summary(const ModelSummary& s, std::ostream& out) {
  const std::string rule(64, '-'), double_rule(64, '=');
  out << rule << "\n" << fmt::format("{:>20}  {:>25} {:>15}", "Layer (type)", "Output Shape", "Param #") << "\n"
      << double_rule << "\n";
  for (const auto& layer : s.layers) {
    std::string shape = "[-1";
    for (auto d : layer.output) shape += ", " + std::to_string(d);
    shape += "]";
    out << fmt::format("{:>20}  {:>25} {:>15}", layer.name, shape, with_commas(layer.parameters)) << "\n";
  }
  if (s.layers.empty()) out << "(this model is not built from declared layers: totals only)\n";
  out << double_rule << "\n"
      << "Total params: " << with_commas(s.total_parameters) << "\n"
      << "Trainable params: " << with_commas(s.trainable_parameters) << "\n"
      << "Non-trainable params: " << with_commas(s.total_parameters - s.trainable_parameters) << "\n"
      << rule << "\n"
      << fmt::format("Input size (MB): {:.2f}\n", s.input_mb)
      << fmt::format("Forward/backward pass size (MB): {:.2f}\n", s.forward_backward_mb)
      << fmt::format("Params size (MB): {:.2f}\n", s.parameters_mb)
      << fmt::format("Estimated Total Size (MB): {:.2f}\n", s.total_mb()) << rule << "\n";
}

}  // namespace torchsweep
