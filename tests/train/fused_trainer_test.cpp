// Fused lanes train as their runs train alone: every logged point of each lane is
// compared with the same run trained by train_run.
#include "train/fused_trainer.h"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>

#include "base/interrupt.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "tests/train/recorded_points.h"

namespace {

using torchsweep::FusedLane;
using torchsweep::MemorySink;
using torchsweep::RunStatus;

std::vector<nlohmann::json> configs_of(const std::string& spec, const std::vector<std::string>& overrides) {
  std::vector<nlohmann::json> out;
  for (const auto& run : torchsweep::load_sweep(torchsweep::testing::source_dir() + spec, overrides).runs)
    out.push_back(run.config);
  return out;
}

struct Compared {
  std::vector<MemorySink> alone, fused;
  std::vector<torchsweep::TrainOutcome> alone_outcomes, fused_outcomes;
};

Compared train_both_ways(const std::vector<nlohmann::json>& configs, const std::vector<std::string>& dirs = {}) {
  Compared c;
  c.alone.resize(configs.size());
  c.fused.resize(configs.size());
  for (size_t k = 0; k < configs.size(); ++k) {
    torchsweep::TrainOptions options;
    if (!dirs.empty()) options.checkpoint_dir = dirs[k] + "/alone";
    c.alone_outcomes.push_back(torchsweep::train_run(configs[k], c.alone[k], options));
  }
  std::vector<FusedLane> lanes;
  for (size_t k = 0; k < configs.size(); ++k)
    lanes.push_back({configs[k], &c.fused[k], dirs.empty() ? "" : dirs[k] + "/fused"});
  c.fused_outcomes = torchsweep::train_fused(lanes);
  return c;
}

/// Every point of `fused` equals the point of `alone` at the same place, to `tolerance`
/// relative (absolute below 1).
void expect_same_points(const MemorySink& alone, const MemorySink& fused, double tolerance, const std::string& lane) {
  ASSERT_EQ(alone.points.size(), fused.points.size()) << lane;
  for (size_t i = 0; i < alone.points.size(); ++i) {
    const auto& a = alone.points[i];
    const auto& f = fused.points[i];
    ASSERT_EQ(a.key, f.key) << lane << " point " << i;
    ASSERT_EQ(a.step, f.step) << lane << " " << a.key;
    if (std::isnan(a.value) || std::isinf(a.value)) {  // the same nan or infinity
      EXPECT_EQ(std::isnan(f.value), std::isnan(a.value)) << lane << " " << a.key << "@" << a.step;
      if (std::isinf(a.value)) {
        EXPECT_EQ(f.value, a.value) << lane << " " << a.key << "@" << a.step;
      }
      continue;
    }
    EXPECT_NEAR(f.value, a.value, tolerance * std::max(1.0, std::fabs(a.value)))
        << lane << " " << a.key << "@" << a.step;
  }
}

TEST(FusedTrainerTest, TheSeedSweepFusedEqualsItsSixRunsToTheTwelfthDigit) {
  // The seed's six learning rates with momentum and weight decay differing too, so
  // every per-lane setting of the fused SGD is exercised.
  const auto configs = configs_of("/experiments/seed_backprop.yaml",
                                  {"train.steps=300", "sweep={mode: zip}", "optimizer.momentum=[0,0.5,0.9,0,0.5,0.9]",
                                   "optimizer.weight_decay=[0,0,0,0.01,0.01,0.01]"});
  ASSERT_EQ(configs.size(), 6u);
  const std::string key = torchsweep::fusion_key(configs[0]);
  ASSERT_FALSE(key.empty());
  for (const auto& c : configs) EXPECT_EQ(torchsweep::fusion_key(c), key);
  // Stacked weights are contiguous: a channels-last run would not be its lane.
  auto channels_last = configs[0];
  channels_last["train"]["memory_format"] = "channels_last";
  EXPECT_EQ(torchsweep::why_trained_alone(channels_last), "its train.memory_format is channels_last");
  EXPECT_EQ(torchsweep::fusion_key(channels_last), "");
  const Compared c = train_both_ways(configs);
  for (size_t k = 0; k < configs.size(); ++k) {
    EXPECT_EQ(c.fused_outcomes[k].status, RunStatus::Finished);
    EXPECT_EQ(c.fused_outcomes[k].steps, 300);
    EXPECT_EQ(c.fused[k].ended.status, RunStatus::Finished);
    ASSERT_EQ(c.alone[k].points.size(), 300u * 31u);  // the spreadsheet's columns, every step
    expect_same_points(c.alone[k], c.fused[k], 1e-12, "lane " + std::to_string(k));
  }
}

TEST(FusedTrainerTest, ALaneThatDivergesEndsAloneAndTheOthersGoOn) {
  const auto configs = configs_of("/experiments/seed_backprop.yaml",
                                  {"train.steps=50", "optimizer.lr=0.5", "optimizer.weight_decay=0,1e10"});
  const Compared c = train_both_ways(configs);
  EXPECT_EQ(c.alone_outcomes[1].status, RunStatus::Diverged);
  EXPECT_EQ(c.fused_outcomes[1].status, RunStatus::Diverged);
  EXPECT_EQ(c.fused_outcomes[1].steps, c.alone_outcomes[1].steps);
  EXPECT_EQ(c.fused_outcomes[1].error, c.alone_outcomes[1].error);
  EXPECT_EQ(c.fused_outcomes[0].status, RunStatus::Finished);
  expect_same_points(c.alone[0], c.fused[0], 1e-12, "lane 0");
  expect_same_points(c.alone[1], c.fused[1], 1e-12, "lane 1");
}

TEST(FusedTrainerTest, TheSeedCnnFusedFollowsItsRunsWithTheirOwnSeedsAndCheckpoints) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // 50 steps of batch 32 (under two epochs: an epoch end, the evaluation and the
  // checkpoint there, and the schedule's step at it), three lanes with their own seed.
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cpu", "model.dropout=0", "data.batch_size=32", "data.train_limit=1024",
                                   "data.test_limit=256", "~train.epochs", "train.steps=50", "train.log_every=5",
                                   "train.threads=1", "train.deterministic=true", "scheduler.step_size=1",
                                   "sweep={mode: zip}", "seed=1,2,3", "optimizer.lr=0.01,0.05,0.02"});
  ASSERT_EQ(configs.size(), 3u);
  const Compared c = train_both_ways(configs, {dir.path() + "/0", dir.path() + "/1", dir.path() + "/2"});
  for (size_t k = 0; k < configs.size(); ++k) {
    EXPECT_EQ(c.fused_outcomes[k].status, RunStatus::Finished) << c.fused_outcomes[k].error;
    expect_same_points(c.alone[k], c.fused[k], 1e-5, "lane " + std::to_string(k));
    ASSERT_EQ(c.fused[k].checkpoints.size(), c.alone[k].checkpoints.size());
  }
  // Lanes really had their own data order and weights: their losses differ.
  EXPECT_NE(c.fused[0].values("train/loss")[3], c.fused[1].values("train/loss")[3]);
}

TEST(FusedTrainerTest, AutoFusesNothingYetOnFusesAndSlurmGroupsTheSame) {
  auto cpu = configs_of("/experiments/seed_backprop.yaml", {"device=cpu"});
  ASSERT_EQ(cpu.size(), 6u);
  // Exact on the CPU, but slower than the runs one by one: the default does not fuse.
  EXPECT_TRUE(torchsweep::fused_lanes_exact(cpu[0]));
  EXPECT_FALSE(torchsweep::fuses("auto", cpu[0]));
  EXPECT_TRUE(torchsweep::fuses("on", cpu[0]));
  EXPECT_FALSE(torchsweep::fuses("off", cpu[0]));
  using Groups = std::vector<std::vector<size_t>>;
  EXPECT_EQ(torchsweep::fusion_groups(cpu, "auto"), (Groups{{0}, {1}, {2}, {3}, {4}, {5}}));
  EXPECT_EQ(torchsweep::fusion_groups(cpu, "on"), (Groups{{0, 1, 2, 3, 4, 5}}));
  EXPECT_EQ(torchsweep::fusion_groups(cpu, "off"), (Groups{{0}, {1}, {2}, {3}, {4}, {5}}));
  // On a GPU the lanes run grouped (equal to rounding only): on fuses them. A machine without one lacks the device: the same answer.
  auto cuda = cpu;
  for (auto& c : cuda) c["device"] = "cuda";
  EXPECT_FALSE(torchsweep::fused_lanes_exact(cuda[0]));
  EXPECT_FALSE(torchsweep::fuses("auto", cuda[0]));
  EXPECT_TRUE(torchsweep::fuses("on", cuda[0]));
  EXPECT_EQ(torchsweep::fusion_groups(cuda, "auto"), (Groups{{0}, {1}, {2}, {3}, {4}, {5}}));
  EXPECT_EQ(torchsweep::fusion_groups(cuda, "on"), (Groups{{0, 1, 2, 3, 4, 5}}));
  // Not SGD: nothing to fuse, whatever the setting.
  auto adam = cpu[0];
  adam["optimizer"]["name"] = "adam";
  EXPECT_FALSE(torchsweep::fuses("on", adam));
  EXPECT_FALSE(torchsweep::fused_lanes_exact(adam));
}

TEST(FusedTrainerTest, DropoutLanesOfOneSeedDrawTheirRunsAloneMasksAndCheckpointTheirGenerators) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // Three rates of one seed with heavy dropout: alone, the three runs draw the same
  // masks; fused, lanes 1 and 2 drew theirs after lane 0's (step 0's losses differed).
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cpu", "model.dropout=0.3", "data.batch_size=32", "data.train_limit=128",
                                   "data.test_limit=64", "~train.epochs", "~scheduler", "train.steps=6",
                                   "train.log_every=1", "train.checkpoint_every=4 steps", "optimizer.lr=0.003,0.01,0.03"});
  ASSERT_EQ(configs.size(), 3u);
  const Compared c = train_both_ways(configs, {dir.path() + "/0", dir.path() + "/1", dir.path() + "/2"});
  for (size_t k = 0; k < configs.size(); ++k) {
    const std::string lane = "lane " + std::to_string(k);
    EXPECT_EQ(c.fused_outcomes[k].status, RunStatus::Finished) << c.fused_outcomes[k].error;
    EXPECT_EQ(c.fused[k].started.engine, "fused") << lane;
    EXPECT_EQ(torchsweep::testing::exact_points(c.fused[k]), torchsweep::testing::exact_points(c.alone[k])) << lane;
    // The generator state a lane's checkpoint keeps is its run alone's.
    ASSERT_FALSE(c.fused[k].checkpoints.empty()) << lane;
    ASSERT_EQ(c.fused[k].checkpoints.size(), c.alone[k].checkpoints.size()) << lane;
    torch::Tensor fused_rng, alone_rng;
    torch::load(fused_rng, c.fused[k].checkpoints.back().first + "/rng.pt");
    torch::load(alone_rng, c.alone[k].checkpoints.back().first + "/rng.pt");
    EXPECT_TRUE(torch::equal(fused_rng, alone_rng)) << lane;
  }
  // Step 0 is the loss of the initial weights with the first masks: one seed, one value.
  EXPECT_EQ(c.fused[1].values("train/loss")[0], c.fused[0].values("train/loss")[0]);
  EXPECT_EQ(c.fused[2].values("train/loss")[0], c.fused[0].values("train/loss")[0]);
}

TEST(FusedTrainerTest, GroupedLanesCheckpointTheDefaultGeneratorTheyDrewFrom) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  // The grouped form (a GPU's) on the CPU: all lanes' dropout masks come from the
  // default generator, so that is the state their checkpoints keep. The last
  // checkpoints are written at the run's end, after the last draw.
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cpu", "model.dropout=0.3", "data.batch_size=32", "data.train_limit=128",
                                   "data.test_limit=64", "~train.epochs", "~scheduler", "train.steps=3",
                                   "train.checkpoint_every=end", "optimizer.lr=0.003,0.01"});
  ASSERT_EQ(configs.size(), 2u);
  std::vector<MemorySink> sinks(2);
  const std::vector<FusedLane> lanes = {{configs[0], &sinks[0], dir.path() + "/0"},
                                        {configs[1], &sinks[1], dir.path() + "/1"}};
  const auto outcomes = torchsweep::train_fused(lanes, {}, torchsweep::LaneForm::Grouped);
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  torch::Tensor after;
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    after = cpu.get_state();
  }
  for (size_t k = 0; k < 2; ++k) {
    ASSERT_EQ(outcomes[k].status, RunStatus::Finished) << outcomes[k].error;
    ASSERT_EQ(sinks[k].checkpoints.size(), 1u);
    torch::Tensor saved;
    torch::load(saved, sinks[k].checkpoints.back().first + "/rng.pt");
    EXPECT_TRUE(torch::equal(saved, after)) << "lane " << k;
  }
}

/// A stop that comes during step `at` (its progress report), as Ctrl-C would.
class StopDuringStep : public MemorySink {
 public:
  explicit StopDuringStep(int64_t at) : at_(at) {}
  void progress(const torchsweep::Progress& p) override {
    if (p.step == at_) torchsweep::request_interrupt(SIGINT);
  }

 private:
  int64_t at_;
};

TEST(FusedTrainerTest, AStopDuringTheLastStepLeavesEachLanesEvaluationPendingWithItsLastLoss) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cpu", "model=mlp", "data.train_limit=256", "data.test_limit=64",
                                   "~train.epochs", "~scheduler", "train.steps=3", "train.log_every=1",
                                   "train.checkpoint_every=end", "optimizer.lr=0.003,0.01"});
  ASSERT_EQ(configs.size(), 2u);
  StopDuringStep first(3);
  MemorySink second;
  const std::vector<FusedLane> lanes = {{configs[0], &first, dir.path() + "/0"},
                                        {configs[1], &second, dir.path() + "/1"}};
  const auto outcomes = torchsweep::train_fused(lanes);
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

}  // namespace

namespace {

// --- CUDA: runs where LibTorch sees a GPU, and skips elsewhere.

TEST(FusedTrainerCudaTest, TheGroupedFormOnAGpuFollowsTheRunsTrainedAlone) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0)
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // cuDNN convolves in TF32 by default (a 10-bit mantissa), and a grouped convolution
  // takes other kernels than separate ones: the first loss agrees to ~1e-3, and in this
  // network a difference grows about tenfold a step (measured on an H100: 0.3-2 % by
  // step 5). So: the first loss closely, the next ones loosely, the records whole.
  const auto configs = configs_of("/experiments/s6_fashion_mnist.yaml",
                                  {"device=cuda", "model.dropout=0", "data.batch_size=32", "data.train_limit=1024",
                                   "data.test_limit=256", "~train.epochs", "train.steps=6", "train.log_every=1",
                                   "train.deterministic=true", "sweep={mode: zip}", "seed=1,2,3",
                                   "optimizer.lr=0.01,0.05,0.02"});
  ASSERT_EQ(configs.size(), 3u);
  const Compared c = train_both_ways(configs);
  for (size_t k = 0; k < configs.size(); ++k) {
    const std::string lane = "lane " + std::to_string(k);
    EXPECT_EQ(c.fused_outcomes[k].status, RunStatus::Finished) << c.fused_outcomes[k].error;
    EXPECT_EQ(c.fused[k].started.engine.rfind("fused", 0), 0u) << c.fused[k].started.engine;
    EXPECT_EQ(c.fused[k].steps("train/loss"), c.alone[k].steps("train/loss")) << lane;
    const auto alone = c.alone[k].values("train/loss"), fused = c.fused[k].values("train/loss");
    ASSERT_EQ(alone.size(), 6u) << lane;
    ASSERT_EQ(fused.size(), 6u) << lane;
    EXPECT_NEAR(fused[0], alone[0], 2e-3 * alone[0]) << lane << ": the first step's loss";
    for (size_t i = 1; i < alone.size(); ++i) EXPECT_NEAR(fused[i], alone[i], 5e-2 * alone[i]) << lane << " step " << i;
  }
  // The lanes are their own runs: their own seeds give other losses.
  EXPECT_NE(c.fused[0].values("train/loss")[0], c.fused[1].values("train/loss")[0]);
}

}  // namespace
