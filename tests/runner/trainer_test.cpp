#include "runner/trainer.h"

#include "runner/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::MemorySink;
using torchsweep::RunStatus;

nlohmann::json seed_config(const std::vector<std::string>& overrides) {
  auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml", overrides);
  return plan.runs.at(0).config;
}

TEST(TrainerTest, LogsEveryStepFromZeroAndReportsTheEnd) {
  MemorySink sink;
  const auto outcome = torchsweep::train_run(seed_config({"optimizer.lr=0.5", "train.steps=12"}), sink);
  EXPECT_EQ(outcome.status, RunStatus::Finished);
  EXPECT_EQ(outcome.steps, 12);
  EXPECT_EQ(sink.started.device, "cpu");
  EXPECT_EQ(sink.ended.status, RunStatus::Finished);
  const auto steps = sink.steps("train/loss");
  ASSERT_EQ(steps.size(), 12u);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(steps[static_cast<size_t>(i)], i);
  EXPECT_DOUBLE_EQ(outcome.final_loss, sink.values("train/loss").back());
}

TEST(TrainerTest, LogEveryKeepsTheLastStep) {
  MemorySink sink;
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "train.steps=10", "train.log_every=4"}), sink);
  EXPECT_EQ(sink.steps("train/loss"), (std::vector<int64_t>{0, 4, 8, 9}));
}

TEST(TrainerTest, EpochsLogPerEpochMetrics) {
  MemorySink sink;
  const auto outcome = torchsweep::train_run(seed_config({"optimizer.lr=0.5", "~train.steps", "train.epochs=3"}), sink);
  EXPECT_EQ(outcome.status, RunStatus::Finished);
  EXPECT_EQ(sink.steps("train/loss_epoch"), (std::vector<int64_t>{1, 2, 3}));
  // One sample per epoch: the epoch's mean loss is that step's loss.
  EXPECT_DOUBLE_EQ(sink.values("train/loss_epoch")[1], sink.values("train/loss")[1]);
  EXPECT_EQ(sink.values("lr"), (std::vector<double>{0.5, 0.5, 0.5}));
}

TEST(TrainerTest, NonFiniteLossEndsTheRunAsDiverged) {
  // inf + (-inf) in the first hidden unit: the loss is NaN at step 0.
  MemorySink sink;
  const auto outcome = torchsweep::train_run(
      seed_config({"optimizer.lr=0.5", "model.weights=[1e308,-1e308,0.25,0.3,0.4,0.45,0.5,0.55]",
                   "data.inputs=[1e308,1e308]"}),
      sink);
  EXPECT_EQ(outcome.status, RunStatus::Diverged);
  EXPECT_EQ(sink.ended.status, RunStatus::Diverged);
  EXPECT_NE(outcome.error.find("train/loss became nan at step 0"), std::string::npos) << outcome.error;
  ASSERT_EQ(sink.values("train/loss").size(), 1u);
  EXPECT_TRUE(std::isnan(sink.values("train/loss")[0]));
}

TEST(TrainerTest, SameSeedSameNumbers) {
  MemorySink a, b;
  torchsweep::train_run(seed_config({"optimizer.lr=2.0"}), a);
  torchsweep::train_run(seed_config({"optimizer.lr=2.0"}), b);
  EXPECT_EQ(a.values("train/loss"), b.values("train/loss"));
}

}  // namespace
