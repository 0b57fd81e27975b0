// ForeachAdamW against LibTorch's own AdamW: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed.
#include "optim/foreach_adamw.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdamWOptions;

std::vector<std::pair<std::string, AdamWOptions>> all_options() {
  return {{"defaults (weight decay 0.01)", AdamWOptions(1e-3)},
          {"no weight decay", AdamWOptions(1e-3).weight_decay(0)},
          {"weight decay 0.1", AdamWOptions(2e-3).weight_decay(0.1)},
          {"amsgrad", AdamWOptions(1e-3).amsgrad(true)},
          {"amsgrad, weight decay", AdamWOptions(5e-3).amsgrad(true).weight_decay(5e-3)},
          {"betas, eps", AdamWOptions(1e-2).betas(std::make_tuple(0.8, 0.95)).eps(1e-6)}};
}

TEST(ForeachAdamW, SameNumbersAsLibTorchsAdamWOnTheCpuForEveryOption) {
  for (const auto& [what, options] : all_options())
    testing::expect_bit_identical_steps<ForeachAdamW, torch::optim::AdamW>(options, what);
}

TEST(ForeachAdamW, CapturableWithinRoundingOfLibTorchsAdamWOnTheCpu) {
  for (const auto& [what, options] : all_options())
    testing::expect_capturable_steps_close<ForeachAdamW, torch::optim::AdamW>(options, what, torch::kCPU, 1e-6);
}

TEST(ForeachAdamW, CheckpointsMoveBetweenItAndLibTorchsAdamW) {
  for (const bool capturable : {false, true})
    for (const auto& [what, options] : all_options())
      testing::expect_checkpoints_move_both_ways<ForeachAdamW, torch::optim::AdamW>(
          options, capturable, what + (capturable ? ", capturable" : ""));
}

TEST(ForeachAdamW, TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost) {
  auto params = testing::small_model_params(torch::kCPU);
  auto theirs = testing::copies(params);
  ForeachAdamW ours(params, AdamWOptions(1e-3));
  torch::optim::AdamW libtorch(theirs, AdamWOptions(1e-3));
  for (int step = 0; step < 3; ++step) {
    testing::set_grads(params, theirs, step);
    ours.step();
    libtorch.step();
  }
  EXPECT_TRUE(testing::all_equal(params, theirs));
  EXPECT_FALSE(ours.capturable());
  const auto* state = find_param_state<torch::optim::AdamWParamState>(ours, params.front());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->step(), 3);
}

TEST(ForeachAdamW, CapturableStepCountsReachTheStateWhenSynced) {
  testing::OptimizerPair<ForeachAdamW, torch::optim::AdamW, AdamWOptions> both(AdamWOptions(1e-3), torch::kCPU,
                                                                            /*capturable=*/true);
  for (int step = 0; step < 5; ++step) both.step(step, 1e-3);
  const auto* first = find_param_state<torch::optim::AdamWParamState>(both.ours, both.mine.front());
  const auto* last = find_param_state<torch::optim::AdamWParamState>(both.ours, both.mine.back());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(first->step(), 0) << "counted on the device until synced";
  both.ours.sync_host_state();
  EXPECT_EQ(first->step(), 5);
  EXPECT_EQ(last->step(), 4) << "the last parameter had no gradient at step 1";
}

TEST(ForeachAdamW, OnTheGpuWithinRoundingOfLibTorchsAdamWAndCapturedInAGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& [what, options] : all_options()) {
    testing::expect_capturable_steps_close<ForeachAdamW, torch::optim::AdamW>(options, what, torch::kCUDA, 1e-6);
    if (cuda_graphs_built())
      testing::expect_replayed_steps_follow_libtorch<ForeachAdamW, torch::optim::AdamW>(options, what, 1e-6);
  }
}

}  // namespace
}  // namespace torchsweep
