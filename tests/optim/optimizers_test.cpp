// Optimizers against PyTorch in Python: tests/reference/optim_reference.py wrote the
// parameters after each of five steps on a fixed problem (optim_reference.json).
#include "optim/optimizers.h"

#include <fstream>

#include "spec/fields.h"
#include "spec/registries.h"
#include "spec/spec_loader.h"
#include "tests/test_helpers.h"

namespace {

nlohmann::json reference() {
  std::ifstream in(torchsweep::testing::source_dir() + "/tests/reference/optim_reference.json");
  return nlohmann::json::parse(in);
}

torch::Tensor tensor_of(const nlohmann::json& rows) {
  std::vector<double> flat;
  int64_t n = 0;
  for (const auto& row : rows) {
    ++n;
    for (const auto& v : row) flat.push_back(v.get<double>());
  }
  return torch::tensor(flat, torch::kFloat64).reshape({n, -1});
}

/// The optimizer's options resolved as a spec would resolve them (defaults filled in).
nlohmann::json resolved(const nlohmann::json& options) {
  torchsweep::SpecNode section = torchsweep::parse_yaml(options.dump(), "reference");
  const auto& entry = torchsweep::registries().optimizers.get(options.at("name"));
  return torchsweep::validate_fields(section, entry.options, "optimizer", {"name"});
}

TEST(OptimizersTest, MatchPyTorchStepByStep) {
  const auto ref = reference();
  const auto& problem = ref.at("problem");
  const auto x = tensor_of(problem.at("inputs"));
  const auto y = tensor_of(problem.at("targets"));
  for (const auto& [name, expected] : ref.at("optimizers").items()) {
    torch::nn::Linear layer(torch::nn::LinearOptions(3, 2));
    layer->to(torch::kFloat64);
    {
      torch::NoGradGuard no_grad;
      layer->weight.copy_(tensor_of(problem.at("weight")));
      layer->bias.copy_(torch::tensor(problem.at("bias").get<std::vector<double>>(), torch::kFloat64));
    }
    const auto options = resolved(expected.at("options"));
    const std::string optimizer_name = expected["options"]["name"];
    auto optimizer = torchsweep::registries().optimizers.get(optimizer_name).factory(layer->parameters(), options);
    for (size_t step = 0; step < expected.at("trajectory").size(); ++step) {
      optimizer->zero_grad();
      torch::mse_loss(layer->forward(x), y).backward();
      optimizer->step();
      const auto& want = expected["trajectory"][step];
      const auto w = want.at("weight").get<std::vector<double>>();
      const auto b = want.at("bias").get<std::vector<double>>();
      const auto got_w = layer->weight.detach().flatten();
      for (size_t i = 0; i < w.size(); ++i)
        EXPECT_NEAR(got_w[static_cast<int64_t>(i)].item<double>(), w[i], 1e-12) << name << " step " << step << " w" << i;
      for (size_t i = 0; i < b.size(); ++i)
        EXPECT_NEAR(layer->bias[static_cast<int64_t>(i)].item<double>(), b[i], 1e-12) << name << " step " << step << " b" << i;
    }
  }
}

}  // namespace
