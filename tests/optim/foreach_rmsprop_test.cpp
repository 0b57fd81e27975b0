// ForeachRMSprop against LibTorch's own RMSprop: the same numbers for every option
// across a schedule (on the CPU bit for bit; made capturable, within rounding), the same
// state (checkpoints move between the two both ways), and on a GPU a step captured in a
// CUDA graph that follows LibTorch's as it is replayed.
#include "optim/foreach_rmsprop.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::RMSpropOptions;

std::vector<std::pair<std::string, RMSpropOptions>> all_options() {
  return {{"defaults", RMSpropOptions(1e-2)},
          {"weight decay", RMSpropOptions(1e-2).weight_decay(1e-2)},
          {"momentum", RMSpropOptions(5e-3).momentum(0.9)},
          {"centered", RMSpropOptions(1e-2).centered(true)},
          {"centered, momentum, weight decay", RMSpropOptions(5e-3).centered(true).momentum(0.5).weight_decay(5e-3)},
          {"alpha, eps", RMSpropOptions(2e-2).alpha(0.9).eps(1e-4)}};
}

TEST(ForeachRMSprop, SameNumbersAsLibTorchsRMSpropOnTheCpuForEveryOption) {
  for (const auto& [what, options] : all_options())
    testing::expect_bit_identical_steps<ForeachRMSprop, torch::optim::RMSprop>(options, what);
}

TEST(ForeachRMSprop, CapturableWithinRoundingOfLibTorchsRMSpropOnTheCpu) {
  for (const auto& [what, options] : all_options())
    testing::expect_capturable_steps_close<ForeachRMSprop, torch::optim::RMSprop>(options, what, torch::kCPU, 1e-6);
}

TEST(ForeachRMSprop, CheckpointsMoveBetweenItAndLibTorchsRMSprop) {
  for (const bool capturable : {false, true})
    for (const auto& [what, options] : all_options())
      testing::expect_checkpoints_move_both_ways<ForeachRMSprop, torch::optim::RMSprop>(
          options, capturable, what + (capturable ? ", capturable" : ""));
}

TEST(ForeachRMSprop, TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost) {
  auto params = testing::small_model_params(torch::kCPU);
  auto theirs = testing::copies(params);
  ForeachRMSprop ours(params, RMSpropOptions(1e-2));
  torch::optim::RMSprop libtorch(theirs, RMSpropOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    testing::set_grads(params, theirs, step);
    ours.step();
    libtorch.step();
  }
  EXPECT_TRUE(testing::all_equal(params, theirs));
  EXPECT_FALSE(ours.capturable());
  const auto* state = find_param_state<torch::optim::RMSpropParamState>(ours, params.front());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->step(), 3);
}

TEST(ForeachRMSprop, CapturableStepCountsReachTheStateWhenSynced) {
  testing::OptimizerPair<ForeachRMSprop, torch::optim::RMSprop, RMSpropOptions> both(RMSpropOptions(1e-2), torch::kCPU,
                                                                                    /*capturable=*/true);
  for (int step = 0; step < 5; ++step) both.step(step, 1e-2);
  const auto* first = find_param_state<torch::optim::RMSpropParamState>(both.ours, both.mine.front());
  const auto* last = find_param_state<torch::optim::RMSpropParamState>(both.ours, both.mine.back());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(first->step(), 0) << "counted on the device until synced";
  both.ours.sync_host_state();
  EXPECT_EQ(first->step(), 5);
  EXPECT_EQ(last->step(), 4) << "the last parameter had no gradient at step 1";
}

TEST(ForeachRMSprop, OnTheGpuWithinRoundingOfLibTorchsRMSpropAndCapturedInAGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& [what, options] : all_options()) {
    testing::expect_capturable_steps_close<ForeachRMSprop, torch::optim::RMSprop>(options, what, torch::kCUDA, 1e-6);
    if (cuda_graphs_built())
      testing::expect_replayed_steps_follow_libtorch<ForeachRMSprop, torch::optim::RMSprop>(options, what, 1e-6);
  }
}

}  // namespace
}  // namespace torchsweep
