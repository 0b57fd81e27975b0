// The seed's 2-2-2 network: two inputs, two sigmoid hidden units, two sigmoid
// outputs, no biases, float64 — the spreadsheet example of backpropagation.
//
//   h1 = w1·i1 + w2·i2    h2 = w3·i1 + w4·i2      a_h = σ(h)
//   o1 = w5·a_h1 + w6·a_h2   o2 = w7·a_h1 + w8·a_h2   a_o = σ(o)
#pragma once

#include <array>

#include "models/model.h"

namespace torchsweep {

struct Backprop2x2x2Options {
  /// w1…w8, in the spreadsheet's order; the default is the seed's.
  std::array<double, 8> weights = {0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55};
};

class Backprop2x2x2 : public Model {
 public:
  explicit Backprop2x2x2(const Backprop2x2x2Options& options = {});

  torch::Tensor forward(const torch::Tensor& inputs) override;
  torch::Dtype dtype() const override { return torch::kFloat64; }

  /// Logs the spreadsheet's columns of the first sample, in its order:
  /// net/t1 net/t2 net/i1 net/i2 net/w1…net/w8 net/h1 net/a_h1 net/h2 net/a_h2
  /// net/o1 net/a_o1 net/o2 net/a_o2 net/E1 net/E2 train/loss grad/w1…grad/w8.
  void append_step_metrics(const StepView& view, MetricRow& row) const override;
  bool reads_itself_at_logged_steps() const override { return true; }

  /// w1…w8 as they are now.
  std::array<double, 8> weights() const;

 private:
  torch::Tensor hidden_;  ///< [[w1, w2], [w3, w4]]
  torch::Tensor output_;  ///< [[w5, w6], [w7, w8]]
};

void register_backprop_2x2x2(ModelRegistry& registry);

}  // namespace torchsweep
