// ForeachAdagrad against LibTorch's own Adagrad: the same numbers for every option
// across a schedule (on the CPU bit for bit; made capturable, within rounding), the same
// state (checkpoints move between the two both ways), and on a GPU a step captured in a
// CUDA graph that follows LibTorch's as it is replayed.
#include "optim/foreach_adagrad.h"

#include "tests/optim/optimizer_pairs.h"

namespace torchsweep {
namespace {

using torch::optim::AdagradOptions;

std::vector<std::pair<std::string, AdagradOptions>> all_options() {
  return {{"defaults", AdagradOptions(1e-2)},
          {"lr decay", AdagradOptions(5e-2).lr_decay(0.05)},
          {"weight decay", AdagradOptions(1e-2).weight_decay(1e-2)},
          {"initial accumulator", AdagradOptions(1e-2).initial_accumulator_value(0.1)},
          {"everything",
           AdagradOptions(2e-2).lr_decay(0.01).weight_decay(5e-3).initial_accumulator_value(0.5).eps(1e-6)}};
}

TEST(ForeachAdagrad, SameNumbersAsLibTorchsAdagradOnTheCpuForEveryOption) {
  for (const auto& [what, options] : all_options())
    testing::expect_bit_identical_steps<ForeachAdagrad, torch::optim::Adagrad>(options, what);
}

TEST(ForeachAdagrad, CapturableWithinRoundingOfLibTorchsAdagradOnTheCpu) {
  for (const auto& [what, options] : all_options())
    testing::expect_capturable_steps_close<ForeachAdagrad, torch::optim::Adagrad>(options, what, torch::kCPU, 1e-6);
}

TEST(ForeachAdagrad, CheckpointsMoveBetweenItAndLibTorchsAdagrad) {
  for (const bool capturable : {false, true})
    for (const auto& [what, options] : all_options())
      testing::expect_checkpoints_move_both_ways<ForeachAdagrad, torch::optim::Adagrad>(
          options, capturable, what + (capturable ? ", capturable" : ""));
}

TEST(ForeachAdagrad, TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost) {
  auto params = testing::small_model_params(torch::kCPU);
  auto theirs = testing::copies(params);
  ForeachAdagrad ours(params, AdagradOptions(1e-2));
  torch::optim::Adagrad libtorch(theirs, AdagradOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    testing::set_grads(params, theirs, step);
    ours.step();
    libtorch.step();
  }
  EXPECT_TRUE(testing::all_equal(params, theirs));
  EXPECT_FALSE(ours.capturable());
  const auto* state = find_param_state<torch::optim::AdagradParamState>(ours, params.front());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->step(), 3);
}

TEST(ForeachAdagrad, CapturableStepCountsReachTheStateWhenSynced) {
  testing::OptimizerPair<ForeachAdagrad, torch::optim::Adagrad, AdagradOptions> both(AdagradOptions(1e-2), torch::kCPU,
                                                                                    /*capturable=*/true);
  for (int step = 0; step < 5; ++step) both.step(step, 1e-2);
  const auto* first = find_param_state<torch::optim::AdagradParamState>(both.ours, both.mine.front());
  const auto* last = find_param_state<torch::optim::AdagradParamState>(both.ours, both.mine.back());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(first->step(), 0) << "counted on the device until synced";
  both.ours.sync_host_state();
  EXPECT_EQ(first->step(), 5);
  EXPECT_EQ(last->step(), 4) << "the last parameter had no gradient at step 1";
}

TEST(ForeachAdagrad, OnTheGpuWithinRoundingOfLibTorchsAdagradAndCapturedInAGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& [what, options] : all_options()) {
    testing::expect_capturable_steps_close<ForeachAdagrad, torch::optim::Adagrad>(options, what, torch::kCUDA, 1e-6);
    if (cuda_graphs_built())
      testing::expect_replayed_steps_follow_libtorch<ForeachAdagrad, torch::optim::Adagrad>(options, what, 1e-6);
  }
}

}  // namespace
}  // namespace torchsweep
