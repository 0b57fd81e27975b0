// Learning-rate schedules against PyTorch's schedulers (tests/reference/optim_reference.py).
#include "optim/schedules.h"

#include <fstream>

#include "spec/fields.h"
#include "spec/registries.h"
#include "spec/spec_loader.h"
#include "tests/test_helpers.h"

namespace {

TEST(SchedulesTest, MatchPyTorchAtEveryEpochOrStep) {
  std::ifstream in(torchsweep::testing::source_dir() + "/tests/reference/optim_reference.json");
  const auto ref = nlohmann::json::parse(in);
  for (const auto& [name, expected] : ref.at("schedules").items()) {
    const auto& entry = torchsweep::registries().schedules.get(expected["options"]["name"]);
    const auto options = torchsweep::validate_fields(torchsweep::parse_yaml(expected["options"].dump(), "reference"),
                                                     entry.options, "scheduler", {"name"});
    const int64_t count = expected["count"].get<int64_t>();
    // One-cycle spans the run's steps: 20 here, as in the reference.
    const auto schedule = entry.factory(options, {1, count, count});
    EXPECT_EQ(schedule->per_step(), expected["per_step"].get<bool>()) << name;
    const auto lrs = expected["lrs"].get<std::vector<double>>();
    for (int64_t t = 0; t < count; ++t)
      EXPECT_NEAR(schedule->lr_at(t, expected["base_lr"].get<double>()), lrs[static_cast<size_t>(t)], 1e-12)
          << name << " at " << t;
  }
}

TEST(SchedulesTest, SetLrChangesEveryGroup) {
  torch::nn::Linear layer(2, 2);
  torch::optim::SGD sgd(layer->parameters(), torch::optim::SGDOptions(0.1));
  torchsweep::set_lr(sgd, 0.025);
  EXPECT_DOUBLE_EQ(torchsweep::current_lr(sgd), 0.025);
}

}  // namespace
