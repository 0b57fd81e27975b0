// ForeachAdam against LibTorch's own Adam: the same numbers for every option across a
// schedule (on the CPU bit for bit; made capturable, within rounding), the same state
// (checkpoints move between the two both ways), and on a GPU a step captured in a CUDA
// graph that follows LibTorch's as it is replayed.
#include "optim/foreach_adam.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdamOptions;

std::vector<std::pair<std::string, AdamOptions>> all_options() {
  return {{"defaults", AdamOptions(1e-3)},
          {"weight decay", AdamOptions(2e-3).weight_decay(1e-2)},
          {"amsgrad", AdamOptions(1e-3).amsgrad(true)},
          {"amsgrad, weight decay", AdamOptions(5e-3).amsgrad(true).weight_decay(5e-3)},
          {"betas, eps", AdamOptions(1e-2).betas(std::make_tuple(0.8, 0.95)).eps(1e-6)}};
}

TEST(ForeachAdam, SameNumbersAsLibTorchsAdamOnTheCpuForEveryOption) {
  for (const auto& [what, options] : all_options())
    testing::expect_bit_identical_steps<ForeachAdam, torch::optim::Adam>(options, what);
}

TEST(ForeachAdam, CapturableWithinRoundingOfLibTorchsAdamOnTheCpu) {
  for (const auto& [what, options] : all_options())
    testing::expect_capturable_steps_close<ForeachAdam, torch::optim::Adam>(options, what, torch::kCPU, 1e-6);
}

TEST(ForeachAdam, CheckpointsMoveBetweenItAndLibTorchsAdam) {
  for (const bool capturable : {false, true})
    for (const auto& [what, options] : all_options())
      testing::expect_checkpoints_move_both_ways<ForeachAdam, torch::optim::Adam>(
          options, capturable, what + (capturable ? ", capturable" : ""));
}

TEST(ForeachAdam, TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost) {
  auto params = testing::small_model_params(torch::kCPU);
  auto theirs = testing::copies(params);
  ForeachAdam ours(params, AdamOptions(1e-3));
  torch::optim::Adam libtorch(theirs, AdamOptions(1e-3));
  for (int step = 0; step < 3; ++step) {
    testing::set_grads(params, theirs, step);
    ours.step();
    libtorch.step();
  }
  EXPECT_TRUE(testing::all_equal(params, theirs));
  EXPECT_FALSE(ours.capturable());
  const auto* state = find_param_state<torch::optim::AdamParamState>(ours, params.front());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->step(), 3);
}

TEST(ForeachAdam, CapturableStepCountsReachTheStateWhenSynced) {
  testing::OptimizerPair<ForeachAdam, torch::optim::Adam, AdamOptions> both(AdamOptions(1e-3), torch::kCPU,
                                                                         /*capturable=*/true);
  for (int step = 0; step < 5; ++step) both.step(step, 1e-3);
  const auto* first = find_param_state<torch::optim::AdamParamState>(both.ours, both.mine.front());
  const auto* last = find_param_state<torch::optim::AdamParamState>(both.ours, both.mine.back());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(first->step(), 0) << "counted on the device until synced";
  both.ours.sync_host_state();
  EXPECT_EQ(first->step(), 5);
  EXPECT_EQ(last->step(), 4) << "the last parameter had no gradient at step 1";
}

TEST(ForeachAdam, OnTheGpuWithinRoundingOfLibTorchsAdamAndCapturedInAGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& [what, options] : all_options()) {
    testing::expect_capturable_steps_close<ForeachAdam, torch::optim::Adam>(options, what, torch::kCUDA, 1e-6);
    if (cuda_graphs_built())
      testing::expect_replayed_steps_follow_libtorch<ForeachAdam, torch::optim::Adam>(options, what, 1e-6);
  }
}

}  // namespace
}  // namespace torchsweep
