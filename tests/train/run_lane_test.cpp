// The lanes of a group are their runs: every point, outcome and checkpoint of each lane
// is compared bit for bit with the same run trained alone by train_run.
#include "train/run_lane.h"

#include <unistd.h>

#include <csignal>
#include <fstream>

#include "base/interrupt.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "tests/train/recorded_points.h"
#include "tests/train/stop_during_step.h"

namespace {

using torchsweep::LaneSpec;
using torchsweep::MemorySink;
using torchsweep::RunStatus;
using torchsweep::testing::exact_points;

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

std::vector<nlohmann::json> configs_of(const std::string& spec, const std::vector<std::string>& overrides) {
  std::vector<nlohmann::json> out;
  for (const auto& run : torchsweep::load_sweep(torchsweep::testing::source_dir() + spec, overrides).runs)
    out.push_back(run.config);
  return out;
}

struct Compared {
  std::vector<MemorySink> alone, grouped;
  std::vector<torchsweep::TrainOutcome> alone_outcomes, grouped_outcomes;
};

/// Trains each config alone, then all of them as one group; `dirs` (one per config, or
/// none) gets an `alone` and a `grouped` checkpoint folder each.
Compared train_both_ways(const std::vector<nlohmann::json>& configs, const std::vector<std::string>& dirs = {}) {
  Compared c;
  c.alone.resize(configs.size());
  c.grouped.resize(configs.size());
  for (size_t k = 0; k < configs.size(); ++k) {
    torchsweep::TrainOptions options;
    if (!dirs.empty()) options.checkpoint_dir = dirs[k] + "/alone";
    c.alone_outcomes.push_back(torchsweep::train_run(configs[k], c.alone[k], options));
  }
  std::vector<LaneSpec> lanes;
  for (size_t k = 0; k < configs.size(); ++k)
    lanes.push_back({configs[k], &c.grouped[k], dirs.empty() ? "" : dirs[k] + "/grouped"});
  c.grouped_outcomes = torchsweep::train_group(lanes);
  return c;
}

void expect_same_runs(const Compared& c) {
  for (size_t k = 0; k < c.alone.size(); ++k) {
    const std::string lane = "lane " + std::to_string(k);
    EXPECT_EQ(c.grouped_outcomes[k].status, c.alone_outcomes[k].status) << lane << ": " << c.grouped_outcomes[k].error;
    EXPECT_EQ(c.grouped_outcomes[k].error, c.alone_outcomes[k].error) << lane;
    EXPECT_EQ(c.grouped_outcomes[k].steps, c.alone_outcomes[k].steps) << lane;
    EXPECT_EQ(c.grouped_outcomes[k].final_loss, c.alone_outcomes[k].final_loss) << lane;
    EXPECT_EQ(c.grouped[k].started.engine, c.alone[k].started.engine) << lane;
    EXPECT_EQ(exact_points(c.grouped[k]), exact_points(c.alone[k])) << lane;
    EXPECT_EQ(c.grouped[k].ended.status, c.alone[k].ended.status) << lane;
    ASSERT_EQ(c.grouped[k].checkpoints.size(), c.alone[k].checkpoints.size()) << lane;
    for (size_t i = 0; i < c.alone[k].checkpoints.size(); ++i)
      EXPECT_EQ(c.grouped[k].checkpoints[i].second, c.alone[k].checkpoints[i].second) << lane;
    // A lane's latest checkpoint (the one a run keeps) holds what its run alone's holds:
    // the generator state its own draws left.
    if (c.alone[k].checkpoints.empty()) continue;
    torch::Tensor grouped_rng, alone_rng;
    torch::load(grouped_rng, c.grouped[k].checkpoints.back().first + "/rng.pt");
    torch::load(alone_rng, c.alone[k].checkpoints.back().first + "/rng.pt");
    EXPECT_TRUE(torch::equal(grouped_rng, alone_rng)) << lane;
  }
}

TEST(RunLaneTest, TheSeedSweepAsSixLanesEqualsItsSixRunsBitForBit) {
  // The seed's six learning rates with momentum and weight decay differing too.
  const auto configs = configs_of("/experiments/seed_backprop.yaml",
                                  {"train.steps=300", "sweep={mode: zip}", "optimizer.momentum=[0,0.5,0.9,0,0.5,0.9]",
                                   "optimizer.weight_decay=[0,0,0,0.01,0.01,0.01]"});
  ASSERT_EQ(configs.size(), 6u);
  const Compared c = train_both_ways(configs);
  for (size_t k = 0; k < configs.size(); ++k) {
    EXPECT_EQ(c.grouped_outcomes[k].status, RunStatus::Finished);
    EXPECT_EQ(c.grouped_outcomes[k].steps, 300);
    ASSERT_EQ(c.alone[k].points.size(), 300u * 31u);  // the spreadsheet's columns, every step
  }
  expect_same_runs(c);
}

TEST(RunLaneTest, LanesOfOtherOptimizersModelsSeedsLayoutsAndBudgetsAreEachTheirRunAlone) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // Dropout on, so each lane's masks come from its own generator; checkpoints every 4
  // steps, so each lane's checkpoints keep that generator; budgets differ, so lanes
  // leave the group at different times.
  const std::vector<std::string> common = {"device=cpu", "model.dropout=0.3", "data.batch_size=32",
                                           "data.train_limit=160", "data.test_limit=64", "~train.epochs",
                                           "~scheduler", "train.log_every=2", "train.checkpoint_every=4 steps"};
  const std::vector<std::vector<std::string>> lanes = {
      {"~optimizer", "optimizer={name: adam, lr: 0.001}", "train.steps=9", "seed=1"},
      {"~optimizer", "optimizer={name: adamw, lr: 0.002}", "train.steps=12", "seed=2"},
      {"~optimizer", "optimizer={name: rmsprop, lr: 0.0005}", "train.steps=7", "seed=1"},
      {"optimizer.lr=0.05", "optimizer.momentum=0.9", "train.memory_format=channels_last", "train.steps=10", "seed=3"},
      {"~model", "model=mlp", "~optimizer", "optimizer={name: adagrad, lr: 0.01}", "train.steps=6", "seed=4"},
  };
  std::vector<nlohmann::json> configs;
  std::vector<std::string> dirs;
  for (const auto& own : lanes) {
    auto overrides = common;
    overrides.insert(overrides.end(), own.begin(), own.end());
    const auto built = configs_of("/experiments/s6_fashion_mnist.yaml", overrides);
    ASSERT_EQ(built.size(), 1u);
    configs.push_back(built.front());
    dirs.push_back(dir.path() + "/" + std::to_string(dirs.size()));
  }
  const Compared c = train_both_ways(configs, dirs);
  for (size_t k = 0; k < configs.size(); ++k) {
    EXPECT_EQ(c.alone_outcomes[k].status, RunStatus::Finished) << c.alone_outcomes[k].error;
    EXPECT_FALSE(c.alone[k].checkpoints.empty());
  }
  expect_same_runs(c);
  // Lanes 0 and 2 share a seed: the same initial weights, data order and first masks,
  // so the same loss at step 0 (before their optimizers differ). Had lane 2 drawn its
  // masks after lane 0's from one generator, it would not be.
  EXPECT_EQ(c.grouped[2].values("train/loss")[0], c.grouped[0].values("train/loss")[0]);
  EXPECT_NE(c.grouped[1].values("train/loss")[0], c.grouped[0].values("train/loss")[0]);
}

TEST(RunLaneTest, ALaneThatDivergesEndsAloneAndTheOthersGoOn) {
  const auto configs = configs_of("/experiments/seed_backprop.yaml",
                                  {"train.steps=50", "optimizer.lr=0.5", "optimizer.weight_decay=0,1e10"});
  const Compared c = train_both_ways(configs);
  EXPECT_EQ(c.grouped_outcomes[1].status, RunStatus::Diverged);
  EXPECT_EQ(c.grouped_outcomes[0].status, RunStatus::Finished);
  expect_same_runs(c);
}

using torchsweep::testing::StopDuringStep;

TEST(RunLaneTest, AnInterruptedGroupContinuedFromItsCheckpointsEqualsAnUninterruptedOne) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // Dropout on and mid-epoch stops (5 batches an epoch): the continued lanes must take
  // their data order, their sums and their generators from their own checkpoints.
  auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                            {"device=cpu", "model.dropout=0.3", "data.batch_size=32", "data.train_limit=160",
                             "data.test_limit=64", "~train.epochs", "~scheduler", "train.steps=12",
                             "train.log_every=1", "train.eval_every=4 steps", "sweep={mode: zip}", "seed=1,2",
                             "optimizer.lr=0.01,0.03"});
  ASSERT_EQ(configs.size(), 2u);
  std::vector<MemorySink> uninterrupted(2);
  for (size_t k = 0; k < 2; ++k) torchsweep::train_run(configs[k], uninterrupted[k]);

  StopDuringStep first(7);
  MemorySink second;
  const std::vector<LaneSpec> lanes = {{configs[0], &first, dir.path() + "/0"},
                                       {configs[1], &second, dir.path() + "/1"}};
  const auto stopped = torchsweep::train_group(lanes);
  torchsweep::clear_interrupt();
  // The stop came during lane 0's seventh step; lane 1 took its seventh step in the
  // same turn, and both stopped after it.
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(stopped[k].status, RunStatus::Interrupted) << k;
    EXPECT_EQ(stopped[k].steps, 7) << k;
  }
  std::vector<MemorySink> continued(2);
  torchsweep::TrainOptions resume;
  resume.resume = true;
  const auto finished = torchsweep::train_group(
      {{configs[0], &continued[0], dir.path() + "/0"}, {configs[1], &continued[1], dir.path() + "/1"}}, resume);
  const std::vector<const MemorySink*> before = {&first, &second};
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(finished[k].status, RunStatus::Finished) << finished[k].error;
    EXPECT_EQ(continued[k].started.resumed_at_step, 7) << k;
    auto joined = exact_points(*before[k]);
    const auto rest = exact_points(continued[k]);
    joined.insert(joined.end(), rest.begin(), rest.end());
    EXPECT_EQ(joined, exact_points(uninterrupted[k])) << "lane " << k;
  }
}

TEST(RunLaneTest, AStopDuringTheLastStepLeavesEachLanesEvaluationPendingWithItsLastLoss) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cpu", "model=mlp", "data.train_limit=256", "data.test_limit=64",
                                   "~train.epochs", "~scheduler", "train.steps=3", "train.log_every=1",
                                   "train.checkpoint_every=end", "optimizer.lr=0.003,0.01"});
  ASSERT_EQ(configs.size(), 2u);
  StopDuringStep first(3);
  MemorySink second;
  const std::vector<LaneSpec> lanes = {{configs[0], &first, dir.path() + "/0"},
                                       {configs[1], &second, dir.path() + "/1"}};
  const auto outcomes = torchsweep::train_group(lanes);
  torchsweep::clear_interrupt();
  const std::vector<const MemorySink*> sinks = {&first, &second};
  for (size_t k = 0; k < 2; ++k) {
    const std::string lane = "lane " + std::to_string(k);
    EXPECT_EQ(outcomes[k].status, RunStatus::Interrupted) << lane;
    EXPECT_TRUE(sinks[k]->values("test/acc").empty()) << lane << ": the evaluation after the last step waits";
    ASSERT_EQ(sinks[k]->checkpoints.size(), 1u) << lane;
    nlohmann::json position;
    std::ifstream(sinks[k]->checkpoints[0].first + "/position.json") >> position;
    EXPECT_EQ(position.value("pending", false), true) << lane;
    EXPECT_EQ(position.value("step", int64_t{0}), 3) << lane;
    EXPECT_EQ(position.value("last_loss", 0.0), sinks[k]->values("train/loss").back()) << lane;
  }
}

TEST(RunLaneTest, ALaneThatCannotBeBuiltFailsAloneAndTheOthersTrain) {
  const auto configs = configs_of("/experiments/seed_backprop.yaml", {"train.steps=20", "optimizer.lr=0.5,1.0"});
  ASSERT_EQ(configs.size(), 2u);
  auto broken = configs[1];
  broken["model"]["name"] = "no_such_model";  // past validation, as a hand-edited database could hold
  std::vector<MemorySink> sinks(2);
  const auto outcomes = torchsweep::train_group({{configs[0], &sinks[0], ""}, {broken, &sinks[1], ""}});
  EXPECT_EQ(outcomes[0].status, RunStatus::Finished);
  EXPECT_EQ(outcomes[0].steps, 20);
  EXPECT_EQ(outcomes[1].status, RunStatus::Failed);
  EXPECT_NE(outcomes[1].error.find("no_such_model"), std::string::npos) << outcomes[1].error;
  EXPECT_EQ(sinks[1].ended.status, RunStatus::Failed);
}

}  // namespace

namespace {

// --- CUDA: runs where LibTorch sees a GPU, and skips elsewhere.

TEST(RunLaneCudaTest, LanesOnAGpuEqualTheirRunsAloneBitForBitInDeterministicMode) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // Captured steps (train.cuda_graph auto), each lane on its own stream, dropout on.
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cuda", "model.dropout=0.3", "data.batch_size=128", "data.train_limit=2048",
                                   "data.test_limit=256", "~train.epochs", "train.steps=40", "train.log_every=10",
                                   "train.checkpoint_every=20 steps", "train.deterministic=true",
                                   "sweep={mode: zip}", "seed=1,2,3", "optimizer.lr=0.01,0.05,0.02"});
  ASSERT_EQ(configs.size(), 3u);
  const Compared c = train_both_ways(configs, {dir.path() + "/0", dir.path() + "/1", dir.path() + "/2"});
  for (size_t k = 0; k < configs.size(); ++k)
    EXPECT_EQ(c.grouped_outcomes[k].status, RunStatus::Finished) << c.grouped_outcomes[k].error;
  expect_same_runs(c);
}

}  // namespace
