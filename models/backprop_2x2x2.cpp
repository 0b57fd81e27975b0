#include "models/backprop_2x2x2.h"

namespace torchsweep {

Backprop2x2x2::Backprop2x2x2(const Backprop2x2x2Options& options) {
  const auto& w = options.weights;
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  hidden_ = register_parameter("hidden", torch::tensor({w[0], w[1], w[2], w[3]}, f64).reshape({2, 2}));
  output_ = register_parameter("output", torch::tensor({w[4], w[5], w[6], w[7]}, f64).reshape({2, 2}));
}

torch::Tensor Backprop2x2x2::forward(const torch::Tensor& inputs) {
  const auto a_h = torch::sigmoid(inputs.matmul(hidden_.t()));
  return torch::sigmoid(a_h.matmul(output_.t()));
}

std::array<double, 8> Backprop2x2x2::weights() const {
  const auto w = torch::cat({hidden_.detach().flatten(), output_.detach().flatten()}).to(torch::kCPU);
  std::array<double, 8> out{};
  for (int i = 0; i < 8; ++i) out[i] = w[i].item<double>();
  return out;
}

void Backprop2x2x2::append_step_metrics(const StepView& view, MetricRow& row) const {
  torch::NoGradGuard no_grad;
  const auto x = view.inputs[0].to(torch::kCPU, torch::kFloat64);
  const auto t = view.targets[0].to(torch::kCPU, torch::kFloat64);
  const auto h = x.matmul(hidden_.detach().cpu().t());
  const auto a_h = torch::sigmoid(h);
  const auto o = a_h.matmul(output_.detach().cpu().t());
  const auto a_o = torch::sigmoid(o);
  const auto e = 0.5 * (t - a_o).pow(2);
  auto at = [](const torch::Tensor& v, int i) { return v[i].item<double>(); };

  row.emplace_back("net/t1", at(t, 0));
  row.emplace_back("net/t2", at(t, 1));
  row.emplace_back("net/i1", at(x, 0));
  row.emplace_back("net/i2", at(x, 1));
  const auto w = weights();
  for (int i = 0; i < 8; ++i) row.emplace_back("net/w" + std::to_string(i + 1), w[i]);
  row.emplace_back("net/h1", at(h, 0));
  row.emplace_back("net/a_h1", at(a_h, 0));
  row.emplace_back("net/h2", at(h, 1));
  row.emplace_back("net/a_h2", at(a_h, 1));
  row.emplace_back("net/o1", at(o, 0));
  row.emplace_back("net/a_o1", at(a_o, 0));
  row.emplace_back("net/o2", at(o, 1));
  row.emplace_back("net/a_o2", at(a_o, 1));
  row.emplace_back("net/E1", at(e, 0));
  row.emplace_back("net/E2", at(e, 1));
  row.emplace_back("train/loss", view.loss);
  if (hidden_.grad().defined() && output_.grad().defined()) {
    const auto g = torch::cat({hidden_.grad().flatten(), output_.grad().flatten()}).cpu();
    for (int i = 0; i < 8; ++i) row.emplace_back("grad/w" + std::to_string(i + 1), at(g, i));
  }
}

void register_backprop_2x2x2(ModelRegistry& registry) {
  const Backprop2x2x2Options defaults;
  registry.add({"backprop_2x2x2",
                "the seed's 2-2-2 sigmoid network without biases (float64), for backpropagation by hand",
                {Field::number_list("weights", {defaults.weights.begin(), defaults.weights.end()},
                                    "initial w1..w8 in the spreadsheet's order")
                     .of_length(8)},
                [](const nlohmann::json& options) {
                  Backprop2x2x2Options o;
                  const auto w = options.at("weights").get<std::vector<double>>();
                  std::copy(w.begin(), w.end(), o.weights.begin());
                  return std::make_shared<Backprop2x2x2>(o);
                }});
}

}  // namespace torchsweep
