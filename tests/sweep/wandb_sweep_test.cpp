// W&B sweep configurations expand to the same runs as their native spelling.
#include "sweep/wandb_sweep.h"

#include <cmath>

#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::SpecError;
using torchsweep::testing::TempDir;

const std::string kBase =
    "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 2}\n"
    "optimizer: {name: sgd, lr: 0.1}\n";

torchsweep::SweepPlan plan_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  TempDir dir;
  return torchsweep::load_sweep(dir.write("s.yaml", text), overrides);
}

std::vector<std::string> hashes(const torchsweep::SweepPlan& plan) {
  std::vector<std::string> out;
  for (const auto& run : plan.runs) out.push_back(run.config_hash);
  return out;
}

TEST(WandbSweepTest, AGridIsTheNativeGrid) {
  const auto wandb = plan_of(kBase +
                             "sweep:\n"
                             "  method: grid\n"
                             "  metric: {name: train/loss, goal: minimize}\n"
                             "  parameters:\n"
                             "    optimizer.lr: {values: [0.1, 0.5]}\n"
                             "    optimizer:\n"
                             "      parameters:\n"
                             "        momentum: {values: [0.0, 0.9]}\n"
                             "    seed: {value: 7}\n");
  const auto native = plan_of(kBase +
                              "seed: 7\n"
                              "sweep:\n"
                              "  mode: grid\n"
                              "  parameters:\n"
                              "    optimizer.lr: [0.1, 0.5]\n"
                              "    optimizer.momentum: [0.0, 0.9]\n");
  ASSERT_EQ(wandb.runs.size(), 4u);
  EXPECT_EQ(hashes(wandb), hashes(native));
  EXPECT_EQ(wandb.swept_keys, native.swept_keys);
  EXPECT_EQ(wandb.runs[3].config["seed"].get<int64_t>(), 7);
}

TEST(WandbSweepTest, RandomDistributionsAreTheNativeOnes) {
  const auto wandb = plan_of(kBase +
                             "sweep:\n"
                             "  method: random\n"
                             "  run_cap: 6\n"
                             "  parameters:\n"
                             "    optimizer.lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n"
                             "    optimizer.momentum: {distribution: uniform, min: 0.0, max: 0.9}\n"
                             "    train.log_every: {min: 1, max: 3}\n"
                             "    optimizer.nesterov: {distribution: categorical, values: [false]}\n");
  const auto native = plan_of(kBase +
                              "sweep:\n"
                              "  mode: random\n"
                              "  samples: 6\n"
                              "  parameters:\n"
                              "    optimizer.lr: {distribution: log_uniform, low: 0.001, high: 0.1}\n"
                              "    optimizer.momentum: {distribution: uniform, low: 0.0, high: 0.9}\n"
                              "    train.log_every: {distribution: int_uniform, low: 1, high: 3}\n"
                              "    optimizer.nesterov: [false]\n");
  ASSERT_EQ(wandb.runs.size(), 6u);
  EXPECT_EQ(hashes(wandb), hashes(native));
  // W&B's log_uniform takes natural-log bounds: exp(-6.9) .. exp(-2.3).
  const auto exponents = plan_of(kBase +
                                 "sweep:\n  method: random\n  run_cap: 20\n  parameters:\n"
                                 "    optimizer.lr: {distribution: log_uniform, min: -6.9, max: -2.3}\n");
  for (const auto& run : exponents.runs) {
    const double lr = run.config["optimizer"]["lr"].get<double>();
    EXPECT_GE(lr, std::exp(-6.9));
    EXPECT_LT(lr, std::exp(-2.3));
  }
}

TEST(WandbSweepTest, WhatCannotRunHereIsRefusedWithTheReason) {
  const std::string head = kBase + "sweep:\n";
  ASSERT_THROWS_WITH(plan_of(head + "  method: bayes\n  parameters: {optimizer.lr: {values: [0.1]}}\n"), SpecError,
                     "s.yaml:8:11: sweep.method: bayes is not supported");
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  mode: grid\n"), SpecError,
                     "sweep.method: is W&B's name for sweep.mode; give one of them, not both");
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  early_terminate: {type: hyperband, min_iter: 3}\n"),
                     SpecError, "sweep.early_terminate: early termination is not supported");
  ASSERT_THROWS_WITH(plan_of(head + "  method: random\n  run_cap: 3\n  parameters:\n"
                                    "    optimizer.lr: {distribution: q_log_uniform_values, min: 0.01, max: 1, q: 2}\n"),
                     SpecError, "sweep.parameters.optimizer.lr.q: not used by a q_log_uniform_values distribution");
  ASSERT_THROWS_WITH(plan_of(head + "  method: random\n  run_cap: 3\n  parameters:\n"
                                    "    optimizer.lr: {distribution: normal, min: 0.01, max: 1}\n"),
                     SpecError, "W&B's normal is not supported");
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  program: train.py\n"), SpecError,
                     "sweep.program: belongs to W&B's agent");
  // A grid runs every point: a run_cap below the grid's size is refused, not cut.
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  run_cap: 2\n  parameters:\n"
                                    "    optimizer.lr: {values: [0.1, 0.2, 0.5]}\n"),
                     SpecError, "sweep.max_runs: the sweep expands to 3 runs, more than its cap of 2");
  EXPECT_EQ(plan_of(head + "  method: grid\n  run_cap: 3\n  parameters:\n"
                           "    optimizer.lr: {values: [0.1, 0.2, 0.5]}\n").runs.size(),
            3u);
  // The native spelling misspelled still gets its "did you mean".
  ASSERT_THROWS_WITH(plan_of(head + "  mdoe: random\n"), SpecError, "did you mean 'sweep.mode'");
}

}  // namespace
