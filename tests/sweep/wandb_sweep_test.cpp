// W&B sweep configurations expand to the same runs as their native spelling.
#include "sweep/wandb_sweep.h"

#include <cmath>

#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::SpecError;
using torchsweep::SpecErrors;
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
  // bayes optimises the metric W&B's config names, and needs it.
  ASSERT_THROWS_WITH(plan_of(head + "  method: bayes\n  run_cap: 3\n  parameters: {optimizer.lr: {values: [0.1, 0.2]}}\n"),
                     SpecError, "sweep.metric: mode bayes proposes runs from the finished runs' metric");
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  mode: grid\n"), SpecError,
                     "sweep.method: is W&B's name for sweep.mode; give one of them, not both");
  // early_terminate judges the metric W&B's config names, and needs it.
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  early_terminate: {type: hyperband, min_iter: 3}\n"),
                     SpecError, "s.yaml:9:3: sweep.early_terminate: W&B's hyperband judges the sweep's metric");
  ASSERT_THROWS_WITH(plan_of(head + "  method: random\n  run_cap: 3\n  parameters:\n"
                                    "    optimizer.lr: {distribution: q_log_uniform_values, min: 0.01, max: 1, q: 2}\n"),
                     SpecError, "s.yaml:11:34: sweep.parameters.optimizer.lr.distribution: W&B's q_log_uniform_values is "
                                "not supported");
  ASSERT_THROWS_WITH(plan_of(head + "  method: random\n  run_cap: 3\n  parameters:\n"
                                    "    optimizer.lr: {distribution: normal, min: 0.01, max: 1}\n"),
                     SpecError, "W&B's normal is not supported");
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  program: train.py\n"), SpecError,
                     "sweep.program: belongs to W&B's agent");
  // A grid runs every point: a run_cap below the grid's size is refused, not cut.
  ASSERT_THROWS_WITH(plan_of(head + "  method: grid\n  run_cap: 2\n  parameters:\n"
                                    "    optimizer.lr: {values: [0.1, 0.2, 0.5]}\n"),
                     SpecError, "s.yaml:9:3: sweep.run_cap: the sweep expands to 3 runs, more than its cap of 2");
  EXPECT_EQ(plan_of(head + "  method: grid\n  run_cap: 3\n  parameters:\n"
                           "    optimizer.lr: {values: [0.1, 0.2, 0.5]}\n").runs.size(),
            3u);
  // The native spelling misspelled still gets its "did you mean".
  ASSERT_THROWS_WITH(plan_of(head + "  mdoe: random\n"), SpecError, "did you mean 'sweep.mode'");
}

/// The lines of the error `text` gives (the spec's folder left out).
std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> lines;
  try {
    plan_of(text);
  } catch (const torchsweep::InputError& e) {
    std::stringstream in(e.what());
    for (std::string line; std::getline(in, line);) lines.push_back(line.substr(line.find("s.yaml")));
  }
  return lines;
}

using Lines = std::vector<std::string>;

const std::string kGrid = kBase + "sweep:\n  method: grid\n  parameters:\n";  // parameters from line 10

TEST(WandbSweepTest, KeysThatConflictAreErrorsAtTheirPositions) {
  const std::string shapes =
      "a W&B parameter is one of {value: x}, {values: [...]}, a distribution {distribution, min, max} or "
      "{parameters: ...}; keep one";
  // A list and a constant: W&B's schema allows one of them.
  EXPECT_EQ(errors_of(kGrid + "    optimizer.lr: {values: [0.1, 0.2], value: 0.3}\n"),
            Lines{"s.yaml:10:40: sweep.parameters.optimizer.lr.value: conflicts with values at 10:20: " + shapes});
  // A list and bounds: both bounds are reported.
  EXPECT_EQ(errors_of(kGrid + "    optimizer.lr: {values: [0.1, 0.2], min: 0.01, max: 1}\n"),
            (Lines{"s.yaml:10:40: sweep.parameters.optimizer.lr.min: conflicts with values at 10:20: " + shapes,
                   "s.yaml:10:51: sweep.parameters.optimizer.lr.max: conflicts with values at 10:20: " + shapes}));
  // Nested parameters and a constant for the same section.
  EXPECT_EQ(errors_of(kGrid + "    optimizer: {parameters: {lr: {values: [0.1, 0.2]}}, value: {name: adam}}\n"),
            Lines{"s.yaml:10:57: sweep.parameters.optimizer.value: conflicts with parameters at 10:17: " + shapes});
  // One key swept twice, once dotted and once nested: the second is named as written.
  EXPECT_EQ(errors_of(kGrid + "    optimizer.lr: {values: [0.1, 0.2]}\n    optimizer:\n      parameters:\n"
                              "        lr: {values: [0.5, 1.0]}\n"),
            Lines{"s.yaml:13:9: sweep.parameters.optimizer.parameters.lr: is optimizer.lr again, also given as "
                  "sweep.parameters.optimizer.lr at 10:5; expected each parameter once"});
  // A constant over a list the spec itself sweeps.
  std::string swept = kGrid + "    optimizer.lr: {value: 0.3}\n";
  swept.replace(swept.find("lr: 0.1"), 7, "lr: [0.1, 0.2]");
  EXPECT_EQ(errors_of(swept), Lines{"s.yaml:10:5: sweep.parameters.optimizer.lr: sets optimizer.lr to one value, but "
                                    "the spec sweeps it at 6:28; give it in one place"});
}

TEST(WandbSweepTest, TheMetricIsChecked) {
  EXPECT_EQ(errors_of(kBase + "sweep:\n  method: grid\n  metric: {name: train/loss, goal: sideways}\n"),
            Lines{"s.yaml:9:36: sweep.metric.goal: expected minimize or maximize, got \"sideways\""});
  EXPECT_EQ(errors_of(kBase + "sweep:\n  method: grid\n  metric: {name: train/loss, gaol: maximize}\n"),
            Lines{"s.yaml:9:30: sweep.metric.gaol: unknown key for W&B's metric, expected name, goal, target, impute "
                  "or impute_while_running"});
  EXPECT_EQ(plan_of(kBase + "sweep:\n  method: grid\n  metric: {name: test/acc, goal: maximize, target: 0.9}\n")
                .runs.size(),
            1u);
}

TEST(WandbSweepTest, ErrorsNameTheKeysAsWritten) {
  // run_cap, not the sweep.max_runs or sweep.samples it stands for.
  EXPECT_EQ(errors_of(kBase + "sweep:\n  method: random\n  run_cap: 0\n"),
            Lines{"s.yaml:9:12: sweep.run_cap: expected an integer >= 1, got 0"});
  const auto few = errors_of(kBase + "sweep:\n  method: random\n  run_cap: 20\n  parameters:\n"
                                     "    optimizer.lr: {values: [0.1, 0.2, 0.5]}\n");
  ASSERT_EQ(few.size(), 1u);
  EXPECT_EQ(few[0].rfind("s.yaml:9:3: sweep.run_cap: the axes have 3 distinct points (optimizer.lr: 3 values), fewer "
                         "than the 20 samples asked for",
                         0),
            0u)
      << few[0];
  // Nested keys and their bounds: min and max, not the low and high they become.
  EXPECT_EQ(errors_of(kBase + "sweep:\n  method: random\n  run_cap: 2\n  parameters:\n"
                              "    optimizer: {parameters: {lr: {distribution: uniform, min: 1, max: 0.5}}}\n"),
            Lines{"s.yaml:11:71: sweep.parameters.optimizer.parameters.lr.max: expected max > min (1), got 0.5"});
  // What the native checks find after the translation is named as written too.
  EXPECT_EQ(errors_of(kGrid + "    optimizer: {parameters: {lr: {min: 0.1, max: 1.0}}}\n"),
            Lines{"s.yaml:10:34: sweep.parameters.optimizer.parameters.lr: a distribution needs sweep.mode: random; in "
                  "grid and zip mode give a list"});
}

TEST(WandbSweepTest, LogUniformBoundsBeyondADoubleAreReportedAsWritten) {
  // W&B's log_uniform takes exponents: e^1000 is beyond a double's range, and the message says 1000, not inf.
  const auto lines = errors_of(kBase + "sweep:\n  method: random\n  run_cap: 2\n  parameters:\n"
                                       "    optimizer.lr: {distribution: log_uniform, min: -5, max: 1000}\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("s.yaml:11:61: sweep.parameters.optimizer.lr.max: W&B's log_uniform bounds are natural "
                           "logarithms, and e^1000 is beyond a double's range",
                           0),
            0u)
      << lines[0];
  EXPECT_EQ(lines[0].find("inf"), std::string::npos) << lines[0];
}

TEST(WandbSweepTest, EveryW_BMistakeIsReportedInOnePass) {
  const auto lines = errors_of(kBase +
                               "sweep:\n"                                              // 7
                               "  method: grid\n"                                      // 8
                               "  metric: {name: train/loss, goal: sideways}\n"        // 9
                               "  parameters:\n"                                       // 10
                               "    optimizer.lr: {values: [0.1, 0.2], value: 0.3}\n"  // 11
                               "    seed: {values: [1, 2], max: 3}\n"                  // 12
                               "    optimizer:\n"                                      // 13
                               "      parameters:\n"                                   // 14
                               "        momentum: {values: [0.0, 0.5], min: 0}\n"      // 15
                               "      value: {name: adam}\n");                         // 16
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("s.yaml:9:36: sweep.metric.goal:", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("s.yaml:11:40: sweep.parameters.optimizer.lr.value: conflicts with values", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("s.yaml:12:28: sweep.parameters.seed.max: conflicts with values", 0), 0u) << lines[2];
  // Inside a parameter that has a conflict of its own, its nested parameters are read too.
  EXPECT_EQ(lines[3].rfind("s.yaml:15:40: sweep.parameters.optimizer.parameters.momentum.min: conflicts with values "
                           "at 15:20",
                           0),
            0u)
      << lines[3];
  EXPECT_EQ(lines[4].rfind("s.yaml:16:7: sweep.parameters.optimizer.value: conflicts with parameters at 14:7", 0), 0u)
      << lines[4];
}

TEST(WandbSweepTest, EarlyTerminateIsWandbsHyperband) {
  const std::string head = kBase + "sweep:\n  method: grid\n  parameters: {optimizer.lr: {values: [0.1, 0.2]}}\n";
  auto plan = plan_of(head + "  metric: {name: test/loss, goal: minimize}\n"
                             "  early_terminate: {type: hyperband, min_iter: 1, eta: 2}\n");
  EXPECT_EQ(plan.runs.size(), 2u);
  const auto& es = plan.early_stop;
  EXPECT_EQ(es.rule, torchsweep::EarlyStopping::Rule::WandbHyperband);
  EXPECT_EQ(es.metric, "test/loss");
  EXPECT_EQ(es.goal, torchsweep::Goal::Minimize);
  EXPECT_EQ(es.eta, 2);
  EXPECT_TRUE(es.strict);  // W&B's default
  ASSERT_GE(es.bands.size(), 3u);
  EXPECT_EQ((std::vector<int64_t>{es.bands[0], es.bands[1], es.bands[2]}), (std::vector<int64_t>{1, 2, 4}));
  // max_iter and s: 27/3 = 9, 27/9 = 3; the goal is the metric's.
  plan = plan_of(head + "  metric: {name: test/acc, goal: maximize}\n"
                        "  early_terminate: {type: hyperband, max_iter: 27, s: 2, strict: false}\n");
  EXPECT_EQ(plan.early_stop.bands, (std::vector<int64_t>{3, 9}));
  EXPECT_EQ(plan.early_stop.goal, torchsweep::Goal::Maximize);
  EXPECT_FALSE(plan.early_stop.strict);
  // W&B's default goal is minimize, whatever the metric's name.
  plan = plan_of(head + "  metric: {name: test/acc}\n  early_terminate: {type: hyperband, min_iter: 3}\n");
  EXPECT_EQ(plan.early_stop.goal, torchsweep::Goal::Minimize);
  EXPECT_EQ(plan.early_stop.bands[0], 3);
}

TEST(WandbSweepTest, EarlyTerminateErrorsNameItsKeys) {
  const std::string head = kBase + "sweep:\n  method: grid\n  metric: {name: test/loss}\n";  // early_terminate on line 10
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: hyperband, max_iter: 27}\n"),
            Lines{"s.yaml:10:48: sweep.early_terminate.s: missing beside max_iter: expected s, how many bands below "
                  "max_iter (W&B's schema requires it)"});
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: hyperband, min_iter: 3, eta: 1}\n"),
            Lines{"s.yaml:10:56: sweep.early_terminate.eta: expected a finite number > 1, got 1"});
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: bohb, min_iter: 3}\n"),
            Lines{"s.yaml:10:27: sweep.early_terminate.type: expected hyperband (W&B's one early_terminate type), "
                  "got \"bohb\""});
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: hyperband, min_iters: 3}\n"),
            Lines{"s.yaml:10:38: sweep.early_terminate.min_iters: unknown key for W&B's hyperband, did you mean "
                  "'min_iter'? (expected type, min_iter, max_iter, s, eta or strict)"});
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: hyperband, min_iter: 3, max_iter: 27, s: 2}\n"),
            Lines{"s.yaml:10:48: sweep.early_terminate.min_iter: W&B reads max_iter and s when they are given and "
                  "ignores min_iter: give min_iter, or max_iter and s, not both"});
  EXPECT_EQ(errors_of(head + "  early_terminate: {type: hyperband, min_iter: 3}\n"
                             "  early_stop: {rule: median, metric: test/loss}\n"),
            Lines{"s.yaml:10:3: sweep.early_terminate: is W&B's spelling of sweep.early_stop; give one of them, not "
                  "both"});
}


TEST(WandbSweepTest, BayesIsModeBayesOverTheMetricWithRunCapAsSamples) {
  const auto wandb = plan_of(kBase +
                             "sweep:\n"
                             "  method: bayes\n"
                             "  run_cap: 12\n"
                             "  metric: {name: val_accuracy, goal: maximize, target: 0.99}\n"
                             "  parameters:\n"
                             "    optimizer.lr: {distribution: log_uniform_values, min: 1.0e-4, max: 0.1}\n"
                             "    optimizer.momentum: {values: [0.0, 0.9]}\n");
  const auto native = plan_of(kBase +
                              "sweep:\n"
                              "  mode: bayes\n"
                              "  samples: 12\n"
                              "  metric: {name: val_accuracy, goal: maximize}\n"
                              "  parameters:\n"
                              "    optimizer.lr: {distribution: log_uniform, low: 1.0e-4, high: 0.1}\n"
                              "    optimizer.momentum: [0.0, 0.9]\n");
  EXPECT_EQ(wandb.mode, "bayes");
  EXPECT_EQ(hashes(wandb), hashes(native));
  EXPECT_EQ(wandb.runs.size(), 2u);  // W&B fits its GP from two runs on
  EXPECT_EQ(wandb.search.samples, 12);
  EXPECT_EQ(wandb.search.metric, "val_accuracy");
  EXPECT_EQ(wandb.search.goal, "maximize");
  EXPECT_EQ(torchsweep::search_space_to_json(wandb.search.space), torchsweep::search_space_to_json(native.search.space));
  // W&B's goal defaults to minimize; a W&B random sweep's metric is only checked.
  EXPECT_EQ(plan_of(kBase + "sweep:\n  method: bayes\n  run_cap: 5\n  metric: {name: loss}\n  parameters:\n"
                            "    optimizer.lr: {min: 0.01, max: 0.5}\n")
                .search.goal,
            "minimize");
  // W&B's other ways to count failed and running runs are not followed here.
  ASSERT_THROWS_WITH(plan_of(kBase + "sweep:\n  method: bayes\n  run_cap: 5\n  metric: {name: loss, impute: latest}\n"
                                     "  parameters:\n    optimizer.lr: {min: 0.01, max: 0.5}\n"),
                     SpecError, "s.yaml:10:32: sweep.metric.impute: only worst is supported");
  EXPECT_EQ(plan_of(kBase + "sweep:\n  method: bayes\n  run_cap: 5\n  metric: {name: loss, impute: worst, "
                            "impute_while_running: false}\n  parameters:\n    optimizer.lr: {min: 0.01, max: 0.5}\n")
                .mode,
            "bayes");
  EXPECT_EQ(plan_of(kBase + "sweep:\n  method: random\n  run_cap: 5\n  metric: {name: loss}\n  parameters:\n"
                            "    optimizer.lr: {min: 0.01, max: 0.5}\n")
                .runs.size(),
            5u);
}

}  // namespace
