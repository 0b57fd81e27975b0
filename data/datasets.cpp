#include "data/datasets.h"

#include "base/spec_node.h"
#include "data/cifar_dataset.h"
#include "data/csv_dataset.h"
#include "data/idx_dataset.h"
#include "data/image_folder_dataset.h"

namespace torchsweep {

Batch Dataset::test_batch(int64_t index) {
  throw std::out_of_range("this data set has no test split (batch " + std::to_string(index) + ")");
}

Batch Dataset::validation_batch(int64_t index) {
  throw std::out_of_range("this data set has no validation split (batch " + std::to_string(index) + ")");
}

SeedExample::SeedExample(std::vector<double> inputs, std::vector<double> targets) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto n = static_cast<int64_t>(inputs.size());
  batch_.inputs = torch::tensor(inputs, f64).reshape({1, n});
  batch_.targets = torch::tensor(targets, f64).reshape({1, static_cast<int64_t>(targets.size())});
}

void SeedExample::place_on(const torch::Device& device) {
  batch_ = {batch_.inputs.to(device), batch_.targets.to(device)};
}

Batch SeedExample::train_batch(int64_t index) {
  (void)index;
  return batch_;
}

namespace {

std::vector<Field> idx_fields(const IdxOptions& d) {
  std::vector<Field> fields{
      Field::string("root", d.root, "folder holding the four IDX files").single_line(),
      Field::number("mean", d.mean, "normalisation mean (after scaling pixels to [0, 1])"),
      Field::number("std", d.std, "normalisation standard deviation").positive(),
      Field::integer("train_limit", d.train_limit, "use only the first N training samples (0: all)").at_least(0),
      Field::integer("test_limit", d.test_limit, "use only the first N test samples (0: all)").at_least(0)};
  for (auto& field : batch_fields(d.batches)) fields.push_back(std::move(field));
  return fields;
}

}  // namespace

void register_builtin_datasets(DatasetRegistry& registry) {
  registry.add({"seed_example", "the seed's single training example: inputs (0.05, 0.1), targets (0.5, 0.5)",
                {Field::number_list("inputs", {0.05, 0.1}, "i1, i2").of_length(2),
                 Field::number_list("targets", {0.5, 0.5}, "t1, t2").of_length(2)},
                [](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
                  return std::make_unique<SeedExample>(options.at("inputs").get<std::vector<double>>(),
                                                       options.at("targets").get<std::vector<double>>());
                }});

  const IdxOptions d;
  DatasetRegistry::Entry idx{
      "idx",
      "MNIST-style IDX files (train/t10k images and labels, .gz or raw); default: Debian's Fashion-MNIST",
      idx_fields(d),
      [](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
        return std::make_unique<IdxDataset>(idx_options_from_json(options));
      }};
  // Missing, truncated or corrupt files are bad input: found before anything runs.
  idx.check = [](const SpecNode& section, const nlohmann::json& options) {
    try {
      load_idx_splits(idx_options_from_json(options));
    } catch (const InputError& e) {
      const SpecNode* root = section.is_map() ? section.find("root") : nullptr;
      throw SpecError(root ? root->mark() : section.mark(), "data.root", e.what());
    }
  };
  registry.add(std::move(idx));
  register_cifar_datasets(registry);
  register_csv_dataset(registry);
  register_image_folder_dataset(registry);
}

}  // namespace torchsweep
