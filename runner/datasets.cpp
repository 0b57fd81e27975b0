#include "runner/datasets.h"

namespace torchsweep {

Batch Dataset::test_batch(int64_t index) {
  throw std::out_of_range("this data set has no test split (batch " + std::to_string(index) + ")");
}

SeedExample::SeedExample(std::vector<double> inputs, std::vector<double> targets) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto n = static_cast<int64_t>(inputs.size());
  batch_.inputs = torch::tensor(inputs, f64).reshape({1, n});
  batch_.targets = torch::tensor(targets, f64).reshape({1, static_cast<int64_t>(targets.size())});
}

Batch SeedExample::train_batch(int64_t index) {
  (void)index;
  return batch_;
}

void register_builtin_datasets(DatasetRegistry& registry) {
  registry.add({"seed_example", "the seed's single training example: inputs (0.05, 0.1), targets (0.5, 0.5)",
                {Field::number_list("inputs", {0.05, 0.1}, "i1, i2").of_length(2),
                 Field::number_list("targets", {0.5, 0.5}, "t1, t2").of_length(2)},
                [](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
                  return std::make_unique<SeedExample>(options.at("inputs").get<std::vector<double>>(),
                                                       options.at("targets").get<std::vector<double>>());
                }});
}

}  // namespace torchsweep
