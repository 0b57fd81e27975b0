// What the tests of the multi-tensor optimizers share: one of torchsweep's optimizers
// (ForeachAdam, ForeachAdamW, ForeachRMSprop, ForeachAdagrad) stepped beside LibTorch's
// optimizer of the same name, on copies of the same parameters with the same gradients
// and the same schedule, and the checks made of the two: the same numbers (on the CPU
// bit for bit; capturable, within rounding), checkpoints that move between them both
// ways, and on a GPU, steps replayed from a CUDA graph that follow LibTorch's.
#pragma once

#include <torch/torch.h>

#include <iostream>
#include <string>
#include <vector>

#include "device/cuda_graph.h"
#include "optim/capturable.h"
#include "optim/param_state.h"
#include "optim/schedules.h"
#include "tests/test_helpers.h"

namespace torchsweep::testing {

/// The tensors of a small convolutional network (a convolution, a linear layer, their
/// biases) and a 3-vector.
inline std::vector<torch::Tensor> small_model_params(const torch::Device& device) {
  torch::manual_seed(7);
  std::vector<torch::Tensor> out;
  for (const auto& shape : std::vector<std::vector<int64_t>>{{16, 1, 3, 3}, {16}, {10, 32}, {10}, {3}})
    out.push_back(torch::randn(shape).to(device).requires_grad_(true));
  return out;
}

inline std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

/// Step `step`'s pseudo-random gradient for parameter i (undefined for the last
/// parameter at step 1: its state starts a step later, so its step count differs from
/// the others').
inline torch::Tensor gradient(const torch::Tensor& p, size_t i, size_t count, int step) {
  if (i + 1 == count && step == 1) return {};
  return torch::sin(torch::arange(p.numel(), torch::kFloat32).mul(0.37 * (step + 1) + static_cast<double>(i)))
      .mul(1.0 + 0.5 * static_cast<double>(i))
      .reshape(p.sizes())
      .to(p.device());
}

/// Gives both lists step `step`'s gradients.
inline void set_grads(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, int step) {
  for (size_t i = 0; i < a.size(); ++i) {
    const auto g = gradient(a[i], i, a.size(), step);
    a[i].mutable_grad() = g.defined() ? g.clone() : torch::Tensor();
    b[i].mutable_grad() = g.defined() ? g.clone() : torch::Tensor();
  }
}

/// A schedule: `lr` for the first half of `steps`, then a third of it, falling.
inline double rate_at(double lr, int step, int steps) {
  return step < steps / 2 ? lr : lr / 3.0 / (1.0 + 0.1 * static_cast<double>(step - steps / 2));
}

/// The largest difference between a and b relative to b (floored at 1e-3), over all tensors.
inline double max_relative(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, ((a[i] - b[i]).abs() / b[i].abs().clamp_min(1e-3)).max().template item<double>());
  return worst;
}

inline bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

/// Ours (the multi-tensor step, capturable or not) and LibTorch's, stepped together.
template <typename Ours, typename Theirs, typename Options>
struct OptimizerPair {
  OptimizerPair(const Options& options, const torch::Device& device, bool capturable)
      : mine(small_model_params(device)),
        theirs(copies(mine)),
        ours(mine, options, CapturableOptimizer::Use::Always),
        libtorch(theirs, options) {
    if (capturable) ours.make_capturable();
  }
  /// One step of both at rate `lr` (set as a schedule sets it).
  void step(int step, double lr) {
    set_lr(ours, lr);
    set_lr(libtorch, lr);
    ours.sync_device_state();
    set_grads(mine, theirs, step);
    ours.step();
    libtorch.step();
  }
  std::vector<torch::Tensor> mine, theirs;
  Ours ours;
  Theirs libtorch;
};

/// Steps ours (not capturable) and LibTorch's `steps` times with a schedule: the same
/// parameters after every step, bit for bit.
template <typename Ours, typename Theirs, typename Options>
void expect_bit_identical_steps(const Options& options, const std::string& what, int steps = 24) {
  OptimizerPair<Ours, Theirs, Options> both(options, torch::kCPU, /*capturable=*/false);
  for (int step = 0; step < steps; ++step) {
    both.step(step, rate_at(options.lr(), step, steps));
    ASSERT_TRUE(all_equal(both.mine, both.theirs))
        << what << ": step " << step << ", largest relative difference " << max_relative(both.mine, both.theirs);
  }
}

/// Steps ours made capturable and LibTorch's `steps` times with a schedule: the same
/// parameters within `tolerance` (relative); returns the largest difference seen.
template <typename Ours, typename Theirs, typename Options>
double expect_capturable_steps_close(const Options& options, const std::string& what, const torch::Device& device,
                                     double tolerance, int steps = 24) {
  OptimizerPair<Ours, Theirs, Options> both(options, device, /*capturable=*/true);
  double worst = 0;
  for (int step = 0; step < steps; ++step) {
    both.step(step, rate_at(options.lr(), step, steps));
    worst = std::max(worst, max_relative(both.mine, both.theirs));
  }
  EXPECT_LE(worst, tolerance) << what;
  std::cout << "[ figures  ] " << what << " on " << device.str()
            << ": largest relative difference capturable vs LibTorch's " << worst << "\n";
  return worst;
}

/// Continues `a` on params_a and `b` on params_b from step `from` to `to` with the same
/// gradients and schedule.
template <typename A, typename B>
void continue_both(A& a, std::vector<torch::Tensor>& params_a, B& b, std::vector<torch::Tensor>& params_b, int from,
                   int to, double lr) {
  for (int step = from; step < to; ++step) {
    set_lr(a, rate_at(lr, step, to));
    set_lr(b, rate_at(lr, step, to));
    if (auto* capturable = as_capturable(a)) capturable->sync_device_state();
    if (auto* capturable = as_capturable(b)) capturable->sync_device_state();
    set_grads(params_a, params_b, step);
    a.step();
    b.step();
  }
}

/// Saves ours after 10 steps, loads the checkpoint into LibTorch's, continues both
/// 12 steps: the same parameters (bit for bit unless capturable). Then the reverse:
/// LibTorch's saved, loaded into ours.
template <typename Ours, typename Theirs, typename Options>
void expect_checkpoints_move_both_ways(const Options& options, bool capturable, const std::string& what) {
  TempDir dir;
  const int saved_at = 10, end = 22;
  const auto check = [&](const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b,
                         const std::string& direction) {
    if (capturable)
      EXPECT_LE(max_relative(a, b), 1e-6) << what << ", " << direction;
    else
      EXPECT_TRUE(all_equal(a, b)) << what << ", " << direction << ": largest relative difference "
                                   << max_relative(a, b);
  };
  {
    OptimizerPair<Ours, Theirs, Options> both(options, torch::kCPU, capturable);
    for (int step = 0; step < saved_at; ++step) both.step(step, rate_at(options.lr(), step, end));
    torch::save(both.ours, dir.file("ours.pt"));
    auto restored_params = copies(both.mine);
    Theirs restored(restored_params, options);
    torch::load(restored, dir.file("ours.pt"));
    continue_both(both.ours, both.mine, restored, restored_params, saved_at, end, options.lr());
    check(restored_params, both.mine, "ours to LibTorch's");
  }
  {
    OptimizerPair<Ours, Theirs, Options> both(options, torch::kCPU, /*capturable=*/false);
    for (int step = 0; step < saved_at; ++step) both.step(step, rate_at(options.lr(), step, end));
    torch::save(both.libtorch, dir.file("libtorch.pt"));
    auto restored_params = copies(both.theirs);
    Ours restored(restored_params, options, CapturableOptimizer::Use::Always);
    if (capturable) restored.make_capturable();  // before the load, as a run restoring a checkpoint does
    torch::load(restored, dir.file("libtorch.pt"));
    continue_both(both.libtorch, both.theirs, restored, restored_params, saved_at, end, options.lr());
    check(restored_params, both.theirs, "LibTorch's to ours");
  }
}

/// On a GPU: ours made capturable, its step captured once in a CUDA graph after three
/// uncaptured steps and replayed, the gradients copied into the graph's and the rate
/// synced before each replay; LibTorch's stepped eagerly beside it. The same parameters
/// within `tolerance` (relative) after 24 steps.
template <typename Ours, typename Theirs, typename Options>
void expect_replayed_steps_follow_libtorch(const Options& options, const std::string& what, double tolerance) {
  const torch::Device gpu(torch::kCUDA, 0);
  OptimizerPair<Ours, Theirs, Options> both(options, gpu, /*capturable=*/true);
  const int steps = 24, warmup = 3;
  for (int step = 0; step < warmup; ++step) both.step(step, rate_at(options.lr(), step, steps));
  CudaGraph graph;
  ASSERT_EQ(graph.capture(gpu, [&] { both.ours.step(); }), "") << what;
  for (int step = warmup; step < steps; ++step) {
    const double lr = rate_at(options.lr(), step, steps);
    set_lr(both.ours, lr);
    set_lr(both.libtorch, lr);
    both.ours.sync_device_state();
    for (size_t i = 0; i < both.mine.size(); ++i) {
      const auto g = gradient(both.mine[i], i, both.mine.size(), step);
      both.mine[i].mutable_grad().copy_(g);
      both.theirs[i].mutable_grad() = g.clone();
    }
    graph.replay();
    both.libtorch.step();
  }
  EXPECT_LE(max_relative(both.mine, both.theirs), tolerance) << what;
  // The step counts advanced on the device reach LibTorch's state objects.
  TempDir dir;
  torch::save(both.ours, dir.file("ours.pt"));
  auto restored_params = copies(both.mine);
  Theirs restored(restored_params, options);
  torch::load(restored, dir.file("ours.pt"));
  continue_both(both.libtorch, both.theirs, restored, restored_params, steps, steps + 4, options.lr());
  EXPECT_LE(max_relative(restored_params, both.theirs), tolerance) << what << ", after a checkpoint";
}

// The checks every multi-tensor optimizer passes, as one suite of tests over a case
// type, instantiated once per optimizer in its own test file:
//
//   struct AdamCase {
//     using Ours = ForeachAdam;
//     using Theirs = torch::optim::Adam;
//     using Options = torch::optim::AdamOptions;
//     using State = torch::optim::AdamParamState;
//     static constexpr double kLr = 1e-3;
//     static std::vector<std::pair<std::string, Options>> options();  // named option sets
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(ForeachAdam, CapturableOptimizerTest, AdamCase);

template <typename Case>
class CapturableOptimizerTest : public ::testing::Test {};
TYPED_TEST_SUITE_P(CapturableOptimizerTest);

TYPED_TEST_P(CapturableOptimizerTest, SameNumbersAsLibTorchsOnTheCpuForEveryOption) {
  using C = TypeParam;
  for (const auto& [what, options] : C::options())
    expect_bit_identical_steps<typename C::Ours, typename C::Theirs>(options, what);
}

TYPED_TEST_P(CapturableOptimizerTest, CapturableWithinRoundingOfLibTorchsOnTheCpu) {
  using C = TypeParam;
  for (const auto& [what, options] : C::options())
    expect_capturable_steps_close<typename C::Ours, typename C::Theirs>(options, what, torch::kCPU, 1e-6);
}

TYPED_TEST_P(CapturableOptimizerTest, CheckpointsMoveBetweenItAndLibTorchs) {
  using C = TypeParam;
  for (const bool capturable : {false, true})
    for (const auto& [what, options] : C::options())
      expect_checkpoints_move_both_ways<typename C::Ours, typename C::Theirs>(
          options, capturable, what + (capturable ? ", capturable" : ""));
}

TYPED_TEST_P(CapturableOptimizerTest, TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost) {
  using C = TypeParam;
  auto params = small_model_params(torch::kCPU);
  auto theirs = copies(params);
  typename C::Ours ours(params, typename C::Options(C::kLr));
  typename C::Theirs libtorch(theirs, typename C::Options(C::kLr));
  for (int step = 0; step < 3; ++step) {
    set_grads(params, theirs, step);
    ours.step();
    libtorch.step();
  }
  EXPECT_TRUE(all_equal(params, theirs));
  EXPECT_FALSE(ours.capturable());
  const auto* state = find_param_state<typename C::State>(ours, params.front());
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->step(), 3);
}

TYPED_TEST_P(CapturableOptimizerTest, CapturableStepCountsReachTheStateWhenSynced) {
  using C = TypeParam;
  OptimizerPair<typename C::Ours, typename C::Theirs, typename C::Options> both(typename C::Options(C::kLr),
                                                                                torch::kCPU, /*capturable=*/true);
  for (int step = 0; step < 5; ++step) both.step(step, C::kLr);
  const auto* first = find_param_state<typename C::State>(both.ours, both.mine.front());
  const auto* last = find_param_state<typename C::State>(both.ours, both.mine.back());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(first->step(), 0) << "counted on the device until synced";
  both.ours.sync_host_state();
  EXPECT_EQ(first->step(), 5);
  EXPECT_EQ(last->step(), 4) << "the last parameter had no gradient at step 1";
}

TYPED_TEST_P(CapturableOptimizerTest, OnTheGpuWithinRoundingOfLibTorchsAndCapturedInAGraph) {
  using C = TypeParam;
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& [what, options] : C::options()) {
    expect_capturable_steps_close<typename C::Ours, typename C::Theirs>(options, what, torch::kCUDA, 1e-6);
    if (cuda_graphs_built())
      expect_replayed_steps_follow_libtorch<typename C::Ours, typename C::Theirs>(options, what, 1e-6);
  }
}

REGISTER_TYPED_TEST_SUITE_P(CapturableOptimizerTest, SameNumbersAsLibTorchsOnTheCpuForEveryOption,
                            CapturableWithinRoundingOfLibTorchsOnTheCpu, CheckpointsMoveBetweenItAndLibTorchs,
                            TheAutomaticStepOnTheCpuIsLibTorchsAndCountsOnTheHost,
                            CapturableStepCountsReachTheStateWhenSynced,
                            OnTheGpuWithinRoundingOfLibTorchsAndCapturedInAGraph);

}  // namespace torchsweep::testing
