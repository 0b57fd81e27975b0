#include "runner/sweep.h"

#include <c10/util/hash.h>

#include "runner/spec_loader.h"
#include "runner/sweep_runner.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::SpecError;
using torchsweep::testing::TempDir;

const std::string kBase =
    "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 2}\n";

torchsweep::SweepPlan plan_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  TempDir dir;
  return torchsweep::load_sweep(dir.write("s.yaml", text), overrides);
}

TEST(SweepTest, GridTakesEveryCombinationFirstAxisSlowest) {
  const auto plan = plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2], momentum: [0.0, 0.5, 0.9]}\n");
  ASSERT_EQ(plan.runs.size(), 6u);
  EXPECT_EQ(plan.mode, "grid");
  EXPECT_EQ(plan.swept_keys, (std::vector<std::string>{"optimizer.lr", "optimizer.momentum"}));
  const double lr[] = {0.1, 0.1, 0.1, 0.2, 0.2, 0.2};
  const double momentum[] = {0.0, 0.5, 0.9, 0.0, 0.5, 0.9};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(plan.runs[i].index, static_cast<int64_t>(i));
    EXPECT_DOUBLE_EQ(plan.runs[i].config["optimizer"]["lr"].get<double>(), lr[i]);
    EXPECT_DOUBLE_EQ(plan.runs[i].swept["optimizer.momentum"].get<double>(), momentum[i]);
  }
}

TEST(SweepTest, ZipPairsListsAndSweepParametersAreAxes) {
  const auto plan = plan_of(kBase + "optimizer: {name: sgd, lr: 0.1}\n"
                                    "sweep:\n  mode: zip\n  parameters:\n    optimizer.lr: [0.1, 0.2, 0.3]\n"
                                    "    seed: [7, 8, 9]\n");
  ASSERT_EQ(plan.runs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(plan.runs[i].config["optimizer"]["lr"].get<double>(), 0.1 * static_cast<double>(i + 1));
    EXPECT_EQ(plan.runs[i].config["seed"].get<int64_t>(), static_cast<int64_t>(7 + i));
  }
  // The sweep section is not part of a run's config.
  EXPECT_FALSE(plan.runs[0].config.contains("sweep"));
}

TEST(SweepTest, ZipNeedsEqualLengths) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nseed: [1, 2, 3]\nsweep: {mode: zip}\n"),
                     SpecError, "s.yaml:7:7: seed: zip sweeps need lists of one length: optimizer.lr has 2 values, this has 3");
}

TEST(SweepTest, AKeySweptTwiceIsAnError) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: {name: sgd, lr: [0.1, 0.2]}\nsweep:\n  parameters:\n    optimizer.lr: [1.0]\n"),
                     SpecError, "optimizer.lr: swept twice");
}

TEST(SweepTest, SweepModeIsValidated) {
  ASSERT_THROWS_WITH(plan_of(kBase + "optimizer: sgd\nsweep: {mode: gird}\n"), SpecError,
                     "sweep.mode: expected one of grid, zip, got \"gird\" (did you mean 'grid'?)");
}

TEST(SweepTest, ListValuedOptionsSweepOnlyWithListsOfLists) {
  const auto one = plan_of(kBase + "optimizer: sgd\n", {"model.weights=[1,2,3,4,5,6,7,8]"});
  EXPECT_EQ(one.runs.size(), 1u);
  const auto two = plan_of(kBase + "optimizer: sgd\n", {"model.weights=[[1,2,3,4,5,6,7,8],[8,7,6,5,4,3,2,1]]"});
  ASSERT_EQ(two.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(two.runs[1].config["model"]["weights"][0].get<double>(), 8.0);
}

TEST(SweepTest, ConfigHashIsSha1OfCanonicalJson) {
  const nlohmann::json config = {{"b", 1}, {"a", {{"y", 0.5}, {"x", "s"}}}};
  // Keys sorted, no whitespace, then SHA-1 (computed here independently of the key order used above).
  const std::string canonical = R"({"a":{"x":"s","y":0.5},"b":1})";
  EXPECT_EQ(torchsweep::config_hash(config), c10::sha1(canonical).str().substr(0, 16));
}

TEST(SweepTest, HashIgnoresKeyOrderFormattingAndDescription) {
  const auto a = plan_of(kBase + "optimizer: {name: sgd, lr: 1}\n");
  const auto b = plan_of("train:\n  steps: 2\noptimizer:\n  lr: 1.0\n  name: sgd\nloss: {name: half_sse}\n"
                         "data: {name: seed_example}\nmodel:\n  name: backprop_2x2x2\nname: s\ndescription: words\n");
  EXPECT_EQ(a.runs[0].config_hash, b.runs[0].config_hash);
  const auto c = plan_of(kBase + "optimizer: {name: sgd, lr: 1.5}\n");
  EXPECT_NE(a.runs[0].config_hash, c.runs[0].config_hash);
}

TEST(SweepTest, ShippedYamlAndTomlExpandToTheSameRuns) {
  if (!torchsweep::toml_supported()) GTEST_SKIP() << "built without TOML++";
  const auto yaml = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml", {});
  const auto toml = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.toml", {});
  ASSERT_EQ(yaml.runs.size(), 6u);
  ASSERT_EQ(toml.runs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(yaml.runs[i].config_hash, toml.runs[i].config_hash);
    EXPECT_EQ(yaml.runs[i].config, toml.runs[i].config);
  }
}

TEST(SweepTest, FlattenConfigKeepsNumbersAsNumbers) {
  const auto rows = torchsweep::flatten_config({{"optimizer", {{"lr", 0.1}, {"nesterov", false}}},
                                                {"seed", 3},
                                                {"model", {{"weights", {1.0, 2.0}}}},
                                                {"train", {{"epochs", nullptr}}}});
  std::map<std::string, torchsweep::SqlValue> m(rows.begin(), rows.end());
  EXPECT_EQ(std::get<double>(m.at("optimizer.lr")), 0.1);
  EXPECT_EQ(std::get<int64_t>(m.at("optimizer.nesterov")), 0);
  EXPECT_EQ(std::get<int64_t>(m.at("seed")), 3);
  EXPECT_EQ(std::get<std::string>(m.at("model.weights")), "[1.0,2.0]");
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(m.at("train.epochs")));
}

}  // namespace
