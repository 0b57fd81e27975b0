// ForeachSGD against LibTorch's own SGD: the same numbers for every option, the same
// state (checkpoints move between the two), on the CPU bit for bit and on a GPU
// within float32 rounding.
#include "optim/foreach_sgd.h"

#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

using torch::optim::SGDOptions;

std::vector<torch::Tensor> make_params(const torch::Device& device) {
  torch::manual_seed(7);
  std::vector<torch::Tensor> out;
  for (const auto& shape : std::vector<std::vector<int64_t>>{{16, 1, 3, 3}, {16}, {10, 32}, {10}, {3}})
    out.push_back(torch::randn(shape).to(device).requires_grad_(true));
  return out;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

/// Gives every parameter the same pseudo-random gradient on both sides; the last
/// parameter has none at step 1, so it starts its momentum a step later.
void set_grads(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, int step) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (i + 1 == a.size() && step == 1) {
      a[i].mutable_grad() = torch::Tensor();
      b[i].mutable_grad() = torch::Tensor();
      continue;
    }
    auto g = torch::sin(torch::arange(a[i].numel(), torch::kFloat32).mul(0.37 * (step + 1) + static_cast<double>(i)))
                 .reshape(a[i].sizes())
                 .to(a[i].device());
    a[i].mutable_grad() = g.clone();
    b[i].mutable_grad() = g.clone();
  }
}

std::vector<SGDOptions> all_options() {
  return {SGDOptions(0.1),
          SGDOptions(0.01).momentum(0.9),
          SGDOptions(0.05).momentum(0.5).dampening(0.3),
          SGDOptions(0.02).momentum(0.9).nesterov(true),
          SGDOptions(0.03).momentum(0.8).weight_decay(1e-2),
          SGDOptions(0.03).weight_decay(5e-3)};
}

/// The same parameters under ForeachSGD and under LibTorch's SGD, stepped together.
struct BothOptimizers {
  BothOptimizers(const SGDOptions& options, const torch::Device& device, ForeachSGD::Use use)
      : mine(make_params(device)), theirs(copies(mine)), foreach_sgd(mine, options, use), sgd(theirs, options) {}
  void step(int step) {
    set_grads(mine, theirs, step);
    foreach_sgd.step();
    sgd.step();
  }
  std::vector<torch::Tensor> mine, theirs;
  ForeachSGD foreach_sgd;
  torch::optim::SGD sgd;
};

TEST(ForeachSgd, SameNumbersAsLibTorchsSgdOnTheCpu) {
  for (const auto& options : all_options()) {
    BothOptimizers both(options, torch::kCPU, ForeachSGD::Use::Always);
    const auto& mine = both.mine;
    const auto& theirs = both.theirs;
    for (int step = 0; step < 6; ++step) {
      both.step(step);
      for (size_t i = 0; i < mine.size(); ++i)
        ASSERT_TRUE(torch::equal(mine[i], theirs[i]))
            << "momentum " << options.momentum() << " nesterov " << options.nesterov() << " step " << step
            << " tensor " << i;
    }
  }
}

TEST(ForeachSgd, CheckpointsMoveBetweenItAndLibTorchsSgd) {
  testing::TempDir dir;
  const auto options = SGDOptions(0.01).momentum(0.9);
  BothOptimizers both(options, torch::kCPU, ForeachSGD::Use::Always);
  auto& theirs = both.theirs;
  auto& sgd = both.sgd;
  for (int step = 0; step < 3; ++step) both.step(step);
  torch::save(both.foreach_sgd, dir.file("foreach.pt"));
  auto restored_params = copies(both.mine);
  torch::optim::SGD restored(restored_params, options);
  torch::load(restored, dir.file("foreach.pt"));
  for (int step = 3; step < 5; ++step) {
    set_grads(restored_params, theirs, step);
    restored.step();
    sgd.step();
  }
  for (size_t i = 0; i < theirs.size(); ++i) EXPECT_TRUE(torch::equal(restored_params[i], theirs[i])) << i;
}

TEST(ForeachSgd, OnTheGpuWithinFloatRoundingOfLibTorchsSgd) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (const auto& options : all_options()) {
    BothOptimizers both(options, torch::kCUDA, ForeachSGD::Use::Auto);  // the multi-tensor step on CUDA
    for (int step = 0; step < 6; ++step) both.step(step);
    const auto& mine = both.mine;
    const auto& theirs = both.theirs;
    for (size_t i = 0; i < mine.size(); ++i)
      EXPECT_TRUE(torch::allclose(mine[i], theirs[i], /*rtol=*/1e-6, /*atol=*/1e-6))
          << "momentum " << options.momentum() << " tensor " << i << ": max difference "
          << (mine[i] - theirs[i]).abs().max().item<float>();
  }
}

}  // namespace
}  // namespace torchsweep
