#include "spec/training_plan.h"

#include "base/cadence.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Cadence;
using torchsweep::plan_training;

TEST(CadenceTest, ReadsCountsWithTheirUnitAndWritesThemCanonically) {
  EXPECT_EQ(Cadence::parse("2 epochs"), Cadence::epochs(2));
  EXPECT_EQ(Cadence::parse("1 epoch"), Cadence::epochs(1));
  EXPECT_EQ(Cadence::parse("500steps"), Cadence::steps(500));
  EXPECT_EQ(Cadence::parse(" 3 step "), Cadence::steps(3));
  EXPECT_EQ(Cadence::parse("end"), Cadence::end());
  EXPECT_EQ(Cadence::parse("1 epochs")->str(), "1 epoch");
  EXPECT_EQ(Cadence::parse("500 steps")->str(), "500 steps");
  for (const char* bad : {"", "2", "epochs", "0 epochs", "-1 steps", "2 minutes", "1.5 epochs", "99999999999999999999 steps"})
    EXPECT_FALSE(Cadence::parse(bad).has_value()) << bad;
}

nlohmann::json config(const nlohmann::json& train) {
  return {{"train", train}};
}

TEST(TrainingPlanTest, AStepBudgetSpansEpochsAndEvaluatesAtItsEnd) {
  // 22 steps of 4-batch epochs: 5 whole epochs and half of a sixth.
  const auto plan = plan_training(config({{"steps", 22}, {"epochs", nullptr}}), 4);
  EXPECT_EQ(plan.total_steps, 22);
  EXPECT_EQ(plan.epochs, 6);
  EXPECT_EQ(plan.eval, Cadence::end()) << "a config recorded before eval_every existed gets the default";
  EXPECT_FALSE(plan.epoch_rows());
  EXPECT_FALSE(plan.evaluates_on_epochs());
  EXPECT_EQ(plan.evaluation_count(), 1);
  EXPECT_FALSE(plan.evaluates(20, 5, true));
  EXPECT_TRUE(plan.evaluates(22, 6, false));
  EXPECT_EQ(plan.schedule_context().epochs, 6);
  EXPECT_EQ(plan.schedule_context().total_steps, 22);
}

TEST(TrainingPlanTest, CadencesCountTheirPointsAndAlwaysTheEnd) {
  auto plan = plan_training(config({{"steps", 22}, {"epochs", nullptr}, {"eval_every", "1 epoch"},
                                    {"checkpoint_every", "5 steps"}}),
                            4);
  EXPECT_TRUE(plan.epoch_rows());
  EXPECT_TRUE(plan.evaluates_on_epochs());
  EXPECT_EQ(plan.evaluation_count(), 6) << "epochs 1-5 and the partial sixth";
  EXPECT_EQ(plan.checkpoint_count(), 5) << "steps 5, 10, 15, 20 and 22";
  EXPECT_TRUE(plan.checkpoints(15, 4, false));
  EXPECT_FALSE(plan.checkpoints(16, 4, true));

  plan = plan_training(config({{"steps", nullptr}, {"epochs", 5}, {"eval_every", "2 epochs"}}), 10);
  EXPECT_EQ(plan.total_steps, 50);
  EXPECT_EQ(plan.checkpoint, Cadence::epochs(1)) << "default under an epoch budget";
  EXPECT_EQ(plan.evaluation_count(), 3) << "epochs 2, 4 and 5 (the end)";
  EXPECT_TRUE(plan.evaluates(20, 2, true));
  EXPECT_FALSE(plan.evaluates(30, 3, true));
  EXPECT_TRUE(plan.evaluates(50, 5, true));

  plan = plan_training(config({{"steps", nullptr}, {"epochs", 2}, {"eval_every", "7 steps"}}), 10);
  EXPECT_TRUE(plan.epoch_rows()) << "an epoch budget writes its epoch rows";
  EXPECT_FALSE(plan.evaluates_on_epochs()) << "evaluations every N steps sit on the step axis";
  EXPECT_EQ(plan.evaluation_count(), 3) << "steps 7, 14 and 20";
}

TEST(TrainingPlanTest, TheDescriptionGivesBudgetEvaluationsCheckpointsAndScheduleMilestones) {
  const auto plan = torchsweep::load_sweep(
      torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml",
      {"optimizer.lr=[0.5]", "train.steps=30", "train.checkpoint_every=10 steps",
       "+scheduler={name: step, step_size: 10, gamma: 0.5, interval: step}"});
  const auto lines = torchsweep::describe_training(plan.runs.at(0).config);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "budget: 30 steps = 30 epochs of 1 batch");
  EXPECT_EQ(lines[1], "evaluation: none (the data set has no validation or test split)");
  EXPECT_EQ(lines[2], "checkpoints: every 10 steps: 3 in all");
  EXPECT_EQ(lines[3], "lr schedule step (per step): lr 0.5, 0.25 from step 10, 0.125 from step 20");
}

}  // namespace
