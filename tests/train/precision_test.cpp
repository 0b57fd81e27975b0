// Lower precision: the autocast scope (state set and restored, nested, on exceptions),
// bf16 steps on the CPU (what runs in bf16, how far the loss moves, that the seed CNN
// still learns), the fp16 loss scaler against hand-computed values (scaling, growth,
// backoff, skipped steps that leave everything as it was), its checkpoint, and fp16
// refused off CUDA.
#include "train/precision.h"

#include <ATen/autocast_mode.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "models/layered_model.h"
#include "models/s6_cnn.h"
#include "optim/foreach_adam.h"
#include "optim/foreach_sgd.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"
#include "train/run_parts.h"
#include "train/step_engine.h"

namespace {

using torchsweep::AutocastScope;
using torchsweep::autocast_dtype;
using torchsweep::autocast_enabled;
using torchsweep::EagerStep;
using torchsweep::EpochMeter;
using torchsweep::GradScaler;
using torchsweep::InputError;
using torchsweep::Precision;
using torchsweep::RuntimeFailure;

const torch::Device kCpu(torch::kCPU);
const torch::Device kCuda(torch::kCUDA);  // only autocast's flags for it are touched
constexpr auto kCpuType = c10::DeviceType::CPU;
constexpr auto kCudaType = c10::DeviceType::CUDA;

// ---------------------------------------------------------------------------------------
// Names

TEST(PrecisionTest, ItsNamesAreTheSpecsAndFp16NeedsCuda) {
  for (const char* name : {"fp32", "bf16", "fp16"})
    EXPECT_STREQ(torchsweep::precision_name(torchsweep::parse_precision(name)), name);
  ASSERT_THROWS_WITH(torchsweep::parse_precision("fp8"), InputError, "expected one of fp32, bf16, fp16, got \"fp8\"");
  EXPECT_EQ(torchsweep::precision_obstacle(Precision::Fp16, kCpu),
            "train.precision fp16 needs a CUDA device (this run is on cpu); bf16 is the CPU's lower precision");
  EXPECT_EQ(torchsweep::precision_obstacle(Precision::Fp16, kCuda), "");
  EXPECT_EQ(torchsweep::precision_obstacle(Precision::Bf16, kCpu), "");
  EXPECT_EQ(torchsweep::precision_obstacle(Precision::Fp32, kCpu), "");
}

// ---------------------------------------------------------------------------------------
// The autocast scope

TEST(AutocastScopeTest, Bf16OnTheCpuTurnsCpuAutocastOnAndItsEndRestoresTheStateBefore) {
  ASSERT_FALSE(autocast_enabled(kCpuType));
  ASSERT_FALSE(autocast_enabled(kCudaType));
  const bool cache_before = at::autocast::is_autocast_cache_enabled();
  {
    AutocastScope scope(Precision::Bf16, kCpu);
    EXPECT_TRUE(autocast_enabled(kCpuType));
    EXPECT_EQ(autocast_dtype(kCpuType), at::kBFloat16);
    EXPECT_FALSE(autocast_enabled(kCudaType)) << "only the device's own type";
    // What autocast does with it: a matrix product of float32 inputs comes out bf16.
    EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(autocast_enabled(kCpuType));
  EXPECT_EQ(at::autocast::is_autocast_cache_enabled(), cache_before);
  EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), at::kFloat);
}

TEST(AutocastScopeTest, Fp32ChangesNothing) {
  AutocastScope scope(Precision::Fp32, kCpu);
  EXPECT_FALSE(autocast_enabled(kCpuType));
  EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), at::kFloat);
}

TEST(AutocastScopeTest, NestedScopesRestoreTheOuterOnesStateDtypeAndCache) {
  // CUDA's flags exist in every build; the scope sets them without touching a GPU, so
  // the dtype's restoring shows on the CPU too (the CPU's autocast has only bf16).
  ASSERT_FALSE(autocast_enabled(kCudaType));
  const auto dtype_before = autocast_dtype(kCudaType);
  {
    AutocastScope outer(Precision::Fp16, kCuda);
    EXPECT_TRUE(autocast_enabled(kCudaType));
    EXPECT_EQ(autocast_dtype(kCudaType), at::kHalf);
    EXPECT_TRUE(at::autocast::is_autocast_cache_enabled());
    {
      AutocastScope inner(Precision::Bf16, kCuda, /*cache=*/false);
      EXPECT_EQ(autocast_dtype(kCudaType), at::kBFloat16);
      EXPECT_FALSE(at::autocast::is_autocast_cache_enabled());
    }
    EXPECT_TRUE(autocast_enabled(kCudaType)) << "the inner scope leaves the outer one on";
    EXPECT_EQ(autocast_dtype(kCudaType), at::kHalf);
    EXPECT_TRUE(at::autocast::is_autocast_cache_enabled());
  }
  EXPECT_FALSE(autocast_enabled(kCudaType));
  EXPECT_EQ(autocast_dtype(kCudaType), dtype_before);
}

TEST(AutocastScopeTest, AnExceptionLeavesTheStateAsItWasBefore) {
  try {
    AutocastScope outer(Precision::Bf16, kCpu);
    AutocastScope inner(Precision::Bf16, kCpu, /*cache=*/false);
    throw std::runtime_error("a failing forward pass");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(autocast_enabled(kCpuType));
  EXPECT_TRUE(at::autocast::is_autocast_cache_enabled());
  // Thrown in an inner scope, caught inside the outer: the outer one is as it was.
  {
    AutocastScope outer(Precision::Fp16, kCuda);
    try {
      AutocastScope inner(Precision::Bf16, kCuda, /*cache=*/false);
      throw std::runtime_error("inner");
    } catch (const std::runtime_error&) {
    }
    EXPECT_TRUE(autocast_enabled(kCudaType));
    EXPECT_EQ(autocast_dtype(kCudaType), at::kHalf);
    EXPECT_TRUE(at::autocast::is_autocast_cache_enabled());
  }
  EXPECT_FALSE(autocast_enabled(kCudaType));
}

TEST(AutocastScopeTest, Fp16OnTheCpuIsRefusedAndChangesNothing) {
  ASSERT_THROWS_WITH(AutocastScope(Precision::Fp16, kCpu), InputError,
                     "fp16 needs a CUDA device (this run is on cpu); bf16 is the CPU's lower precision");
  EXPECT_FALSE(autocast_enabled(kCpuType));
}

// ---------------------------------------------------------------------------------------
// bf16 steps on the CPU

/// A convolution and a linear layer that note the dtype each computed in.
class RecordingModel : public torchsweep::Model {
 public:
  RecordingModel() {
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)));
    linear_ = register_module("linear", torch::nn::Linear(4 * 6 * 6, 10));
  }
  torch::Tensor forward(const torch::Tensor& inputs) override {
    const auto c = conv_->forward(inputs);
    conv_dtype = c.scalar_type();
    const auto l = linear_->forward(torch::relu(c).flatten(1));
    linear_dtype = l.scalar_type();
    return torch::log_softmax(l, 1);
  }
  at::ScalarType conv_dtype = at::kFloat, linear_dtype = at::kFloat;

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::Linear linear_{nullptr};
};

const torchsweep::LossFn nll = [](const torch::Tensor& outputs, const torch::Tensor& targets) {
  return torch::nll_loss(outputs, targets);
};

TEST(PrecisionStepTest, Bf16RunsTheConvolutionAndLinearLayersInBf16AndKeepsWeightsAndGradientsFloat32) {
  torch::manual_seed(3);
  RecordingModel model;
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(0.1));
  EagerStep engine(model, sgd, nll, Precision::Bf16);
  EXPECT_EQ(engine.grad_scaler(), nullptr) << "bf16 needs no loss scaling";
  EpochMeter meter(kCpu, true);
  const torchsweep::Batch batch{torch::randn({5, 1, 8, 8}), torch::randint(0, 10, {5}, torch::kLong)};
  engine.step(batch, 0, meter, nullptr);
  EXPECT_EQ(model.conv_dtype, at::kBFloat16);
  EXPECT_EQ(model.linear_dtype, at::kBFloat16);
  for (const auto& p : model.parameters()) {
    EXPECT_EQ(p.scalar_type(), at::kFloat);
    EXPECT_EQ(p.grad().scalar_type(), at::kFloat);
  }
  EXPECT_FALSE(autocast_enabled(kCpuType)) << "backward and the update ran outside autocast, and it ended";
  EXPECT_TRUE(std::isfinite(meter.read().mean_loss()));
  // The same model stepped at fp32 computes in float32.
  EagerStep fp32(model, sgd, nll);
  fp32.step(batch, 1, meter, nullptr);
  EXPECT_EQ(model.conv_dtype, at::kFloat);
  EXPECT_EQ(model.linear_dtype, at::kFloat);
}

std::shared_ptr<torchsweep::LayeredModel> seed_cnn() {
  torch::manual_seed(11);
  torchsweep::S6CnnOptions options;
  options.dropout = 0;
  return std::make_shared<torchsweep::LayeredModel>(torchsweep::s6_cnn_layers(options), std::vector<int64_t>{1, 28, 28});
}

/// Ten classes, each a fixed random image, seen through noise: learnable in a few dozen
/// steps, unlike random labels.
std::vector<torchsweep::Batch> template_batches(int64_t count, int64_t size) {
  torch::manual_seed(7);
  const auto templates = torch::randn({10, 1, 28, 28});
  std::vector<torchsweep::Batch> out;
  for (int64_t i = 0; i < count; ++i) {
    const auto labels = torch::randint(0, 10, {size}, torch::kLong);
    out.push_back({templates.index_select(0, labels) + 0.5 * torch::randn({size, 1, 28, 28}), labels});
  }
  return out;
}

double first_loss(Precision precision, const torchsweep::Batch& batch) {
  auto model = seed_cnn();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  EagerStep engine(*model, sgd, nll, precision);
  EpochMeter meter(kCpu, true);
  engine.step(batch, 0, meter, nullptr);
  return meter.read().mean_loss();
}

TEST(PrecisionStepTest, TheSeedCnnsFirstBf16LossIsItsFp32LossToBf16sRounding) {
  const auto batch = template_batches(1, 32).front();
  const double fp32 = first_loss(Precision::Fp32, batch);
  const double bf16 = first_loss(Precision::Bf16, batch);
  // bf16 keeps 8 significant bits: each convolution's and the linear layer's inputs and
  // weights are rounded by up to 2^-9 (0.2 %) of themselves, while their sums run in
  // float32 and batch norm, log_softmax and the loss in float32 too. The nine layers'
  // relative errors add at most linearly, 10 x 2 x 2^-9 ~ 4 % of the logits at worst,
  // and independent roundings partly cancel; a loss near log(10) moves by less than the
  // logits' error. 2 % of the loss bounds that; exactly equal would mean no autocast.
  EXPECT_NE(bf16, fp32);
  EXPECT_NEAR(bf16, fp32, 0.02 * fp32);
}

TEST(PrecisionStepTest, TheSeedCnnLearnsInBf16) {
  const auto batches = template_batches(40, 32);
  auto model = seed_cnn();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  EagerStep engine(*model, sgd, nll, Precision::Bf16);
  std::vector<double> losses;
  for (size_t i = 0; i < batches.size(); ++i) {
    EpochMeter meter(kCpu, true);
    engine.step(batches[i], static_cast<int64_t>(i), meter, nullptr);
    losses.push_back(meter.read().mean_loss());
  }
  // Untrained, the loss is near log(10) = 2.30 (ten classes, near-uniform outputs);
  // having learnt the ten templates, well under half of it.
  EXPECT_NEAR(losses.front(), std::log(10.0), 0.5);
  double last = 0;
  for (size_t i = losses.size() - 5; i < losses.size(); ++i) last += losses[i] / 5;
  EXPECT_LT(last, 0.5 * losses.front()) << "the mean of the last five steps' losses";
}

// ---------------------------------------------------------------------------------------
// The loss scaler

float scale_of(const GradScaler& scaler) { return scaler.scale_tensor().item<float>(); }
int tracker_of(const GradScaler& scaler) { return scaler.growth_tracker().item<int>(); }

/// Gives p the gradient `grad` as backward of a scaled loss would: grad * scale.
void set_scaled_grad(torch::Tensor& p, const GradScaler& scaler, const torch::Tensor& grad) {
  p.mutable_grad() = grad * static_cast<double>(scale_of(scaler));
}

TEST(GradScalerTest, ScalesTheLossUnscalesTheGradientsAndSteps) {
  GradScaler scaler(kCpu);
  EXPECT_EQ(scale_of(scaler), 65536.0f);
  EXPECT_EQ(tracker_of(scaler), 0);
  auto p = torch::tensor({1.0f, 2.0f}).requires_grad_(true);
  torch::optim::SGD sgd({p}, torch::optim::SGDOptions(0.5));
  // loss = 0.25 p0 - p1 = -1.75; its gradient (0.25, -1).
  const auto loss = (p * torch::tensor({0.25f, -1.0f})).sum();
  const auto scaled = scaler.scale(loss);
  EXPECT_EQ(scaled.dim(), 0);
  EXPECT_EQ(scaled.item<float>(), -1.75f * 65536.0f);
  scaled.backward();
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({16384.0f, -65536.0f})));
  EXPECT_TRUE(scaler.step(sgd));
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({0.25f, -1.0f}))) << "unscaled before the update";
  // p - 0.5 * (0.25, -1)
  EXPECT_TRUE(torch::equal(p.detach(), torch::tensor({0.875f, 2.5f})));
  scaler.update();
  EXPECT_EQ(scale_of(scaler), 65536.0f) << "2000 finite steps before it grows";
  EXPECT_EQ(tracker_of(scaler), 1);
  EXPECT_EQ(scaler.found_inf().item<float>(), 0.0f);
}

TEST(GradScalerTest, TheScaleGrowsAfterGrowthIntervalFiniteStepsAndBacksOffOnInf) {
  GradScaler scaler(kCpu, {/*init_scale=*/4.0, /*growth_factor=*/2.0, /*backoff_factor=*/0.5, /*growth_interval=*/3});
  auto p = torch::zeros({2}).requires_grad_(true);
  torch::optim::SGD sgd({p}, torch::optim::SGDOptions(0.1));
  auto finite_step = [&] {
    set_scaled_grad(p, scaler, torch::tensor({1.0f, -1.0f}));
    EXPECT_TRUE(scaler.step(sgd));
    scaler.update();
  };
  finite_step();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(4.0f, 1));
  finite_step();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(4.0f, 2));
  finite_step();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(8.0f, 0)) << "4 x 2 at the third";
  finite_step();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(8.0f, 1));
  // Three finite steps took p to -3 x 0.1 x (1, -1): (-0.4, 0.4) after four.
  EXPECT_TRUE(torch::allclose(p.detach(), torch::tensor({-0.4f, 0.4f})));
  p.mutable_grad() = torch::tensor({std::numeric_limits<float>::infinity(), 1.0f});
  EXPECT_FALSE(scaler.step(sgd));
  scaler.update();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(4.0f, 0)) << "8 x 0.5, count restarts";
  // A nan backs off too, and the count starts again from there.
  p.mutable_grad() = torch::tensor({1.0f, std::nanf("")});
  EXPECT_FALSE(scaler.step(sgd));
  scaler.update();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(2.0f, 0));
  finite_step();
  finite_step();
  finite_step();
  EXPECT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(4.0f, 0));
}

TEST(GradScalerTest, AScaleThatWouldOverflowFloat32DoesNotGrow) {
  const double top = std::ldexp(1.0, 127);  // x 2 = 2^128, past float32's largest
  GradScaler scaler(kCpu, {top, 2.0, 0.5, 1});
  auto p = torch::zeros({1}).requires_grad_(true);
  torch::optim::SGD sgd({p}, torch::optim::SGDOptions(0.1));
  p.mutable_grad() = torch::ones({1});
  EXPECT_TRUE(scaler.step(sgd));
  scaler.update();
  EXPECT_EQ(scale_of(scaler), static_cast<float>(top));
  EXPECT_EQ(tracker_of(scaler), 0);
}

/// Every tensor of the optimizer's per-parameter state and the parameters, copied.
std::vector<torch::Tensor> snapshot(torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> out;
  for (const auto& t : torchsweep::tensors_written_by_step(optimizer)) out.push_back(t.clone());
  return out;
}

void expect_bit_identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].scalar_type(), b[i].scalar_type());
    // Compared as integers: bit for bit, nan or not.
    const auto bits = a[i].scalar_type() == at::kDouble ? at::kLong : at::kInt;
    EXPECT_TRUE(torch::equal(a[i].contiguous().view(bits), b[i].contiguous().view(bits))) << "tensor " << i;
  }
}

TEST(GradScalerTest, AStepWithInfGradientsIsSkippedOnTheHostLeavingParametersAndStateAsTheyWere) {
  torch::manual_seed(2);
  const auto start = torch::randn({3});
  for (const bool adam : {false, true}) {
    auto p = start.clone().requires_grad_(true);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (adam) optimizer = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{p}, torch::optim::AdamOptions(0.1));
    else optimizer = std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{p},
                                                         torch::optim::SGDOptions(0.1).momentum(0.9));
    GradScaler scaler(kCpu);
    set_scaled_grad(p, scaler, torch::tensor({0.5f, -0.25f, 1.0f}));
    ASSERT_TRUE(scaler.step(*optimizer));
    scaler.update();
    // LibTorch's own Adam counts steps on the host: read them around the skipped step.
    auto adam_step = [&] {
      return adam ? static_cast<torch::optim::AdamParamState&>(*optimizer->state().begin()->second).step() : 0;
    };
    const auto steps_before = adam_step();
    std::vector<torch::Tensor> before{p.detach().clone()};
    for (const auto& [key, state] : optimizer->state()) {
      (void)key;
      if (adam) {
        const auto& s = static_cast<torch::optim::AdamParamState&>(*state);
        before.push_back(s.exp_avg().clone());
        before.push_back(s.exp_avg_sq().clone());
      } else {
        before.push_back(static_cast<torch::optim::SGDParamState&>(*state).momentum_buffer().clone());
      }
    }
    set_scaled_grad(p, scaler, torch::tensor({0.5f, std::numeric_limits<float>::infinity(), 1.0f}));
    EXPECT_FALSE(scaler.step(*optimizer));
    scaler.update();
    std::vector<torch::Tensor> after{p.detach()};
    for (const auto& [key, state] : optimizer->state()) {
      (void)key;
      if (adam) {
        const auto& s = static_cast<torch::optim::AdamParamState&>(*state);
        after.push_back(s.exp_avg());
        after.push_back(s.exp_avg_sq());
      } else {
        after.push_back(static_cast<torch::optim::SGDParamState&>(*state).momentum_buffer());
      }
    }
    expect_bit_identical(before, after);
    EXPECT_EQ(adam_step(), steps_before);
    EXPECT_EQ(scale_of(scaler), 32768.0f);
    EXPECT_EQ(tracker_of(scaler), 0);
  }
}

TEST(GradScalerTest, OnTheDeviceASkippedStepPutsBackParametersStateAndStepCountsAndAFiniteOneIsTheHostsStep) {
  torch::manual_seed(4);
  const auto start = torch::randn({4});
  auto make = [&](torch::Tensor& p) {
    p = start.clone().requires_grad_(true);
    auto adam = std::make_unique<torchsweep::ForeachAdam>(std::vector<torch::Tensor>{p},
                                                          torch::optim::AdamOptions(0.05).weight_decay(0.01),
                                                          torchsweep::CapturableOptimizer::Use::Always);
    adam->make_capturable();
    return adam;
  };
  torch::Tensor p, twin_p;
  auto adam = make(p), twin = make(twin_p);
  GradScaler scaler(kCpu), twin_scaler(kCpu);
  const auto grad = torch::tensor({0.5f, -0.25f, 1.0f, 2.0f});
  auto finite = [&](torch::Tensor& param, torchsweep::ForeachAdam& optimizer, GradScaler& s, GradScaler::Skip skip) {
    set_scaled_grad(param, s, grad);
    EXPECT_TRUE(s.step(optimizer, skip));
    s.update();
  };
  finite(p, *adam, scaler, GradScaler::Skip::OnHost);  // the state exists from here
  finite(twin_p, *twin, twin_scaler, GradScaler::Skip::OnHost);
  const auto counts = adam->device_counters();
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].item<double>(), 1.0) << "one step counted on the device";
  const auto before = snapshot(*adam);
  ASSERT_EQ(before.size(), 4u) << "the parameter, exp_avg, exp_avg_sq and the step counts";
  for (const float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
    set_scaled_grad(p, scaler, torch::tensor({0.5f, bad, 1.0f, 2.0f}));
    EXPECT_TRUE(scaler.step(*adam, GradScaler::Skip::OnDevice)) << "no host read: it cannot know";
    EXPECT_EQ(scaler.found_inf().item<float>(), 1.0f);
    scaler.update();
    expect_bit_identical(before, snapshot(*adam));
  }
  EXPECT_EQ(scale_of(scaler), 16384.0f) << "65536 halved twice";
  // A finite step on the device is the step the host takes: the twin, which skipped
  // nothing, takes it at its own scale; the unscaled gradients are the same powers of two.
  finite(p, *adam, scaler, GradScaler::Skip::OnDevice);
  finite(twin_p, *twin, twin_scaler, GradScaler::Skip::OnHost);
  expect_bit_identical(snapshot(*adam), snapshot(*twin));
  EXPECT_EQ(adam->device_counters()[0].item<double>(), 2.0);
}

TEST(GradScalerTest, OnTheDeviceAStepThatCreatesStateOrCountsOnTheHostIsRefused) {
  auto p = torch::ones({2}).requires_grad_(true);
  torchsweep::ForeachAdam fresh({p}, torch::optim::AdamOptions(0.1), torchsweep::CapturableOptimizer::Use::Always);
  fresh.make_capturable();
  GradScaler scaler(kCpu);
  set_scaled_grad(p, scaler, torch::ones({2}));
  ASSERT_THROWS_WITH(scaler.step(fresh, GradScaler::Skip::OnDevice), RuntimeFailure,
                     "a step that creates the optimizer's state cannot be skipped on the device");
  auto q = torch::ones({2}).requires_grad_(true);
  torch::optim::Adam libtorch({q}, torch::optim::AdamOptions(0.1));
  q.mutable_grad() = torch::ones({2});
  libtorch.step();
  ASSERT_THROWS_WITH(torchsweep::tensors_written_by_step(libtorch), RuntimeFailure,
                     "counts its steps on the host");
  // SGD counts no steps: its momentum buffers are all there is to put back.
  auto r = torch::ones({2}).requires_grad_(true);
  torch::optim::SGD sgd({r}, torch::optim::SGDOptions(0.1).momentum(0.9));
  r.mutable_grad() = torch::ones({2});
  sgd.step();
  EXPECT_EQ(torchsweep::tensors_written_by_step(sgd).size(), 2u);
}

TEST(GradScalerTest, ACheckpointKeepsTheScaleAndItsCount) {
  torchsweep::testing::TempDir dir;
  torch::nn::Linear model(2, 1);
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  GradScaler scaler(kCpu);
  for (const float g : {std::numeric_limits<float>::infinity(), 1.0f, 1.0f}) {
    for (auto& p : model->parameters()) p.mutable_grad() = torch::full_like(p, g);
    scaler.step(sgd);
    scaler.update();
  }
  ASSERT_EQ(std::make_pair(scale_of(scaler), tracker_of(scaler)), std::make_pair(32768.0f, 2));
  torchsweep::save_checkpoint(dir.path(), *model, sgd, {}, kCpu, &scaler);
  GradScaler restored(kCpu);
  const auto restored_scale = restored.scale_tensor();  // the same tensor after loading
  ASSERT_TRUE(torchsweep::load_checkpoint(dir.path(), *model, sgd, kCpu, &restored));
  EXPECT_EQ(std::make_pair(scale_of(restored), tracker_of(restored)), std::make_pair(32768.0f, 2));
  EXPECT_TRUE(restored_scale.is_same(restored.scale_tensor()));
  // A checkpoint of a run at another precision has no scale: the scaler keeps its own.
  torchsweep::testing::TempDir other;
  torchsweep::save_checkpoint(other.path(), *model, sgd, {}, kCpu);
  GradScaler fresh(kCpu);
  ASSERT_TRUE(torchsweep::load_checkpoint(other.path(), *model, sgd, kCpu, &fresh));
  EXPECT_EQ(std::make_pair(scale_of(fresh), tracker_of(fresh)), std::make_pair(65536.0f, 0));
}

// ---------------------------------------------------------------------------------------
// A run's precision

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

nlohmann::json fashion_config(const std::vector<std::string>& overrides) {
  std::vector<std::string> all = {"data.train_limit=256", "data.test_limit=256", "train.epochs=1",
                                  "train.threads=1",     "device=cpu"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml", all)
      .runs.at(0)
      .config;
}

TEST(PrecisionRunTest, ARunBuiltAtBf16TrainsAndEvaluatesUnderAutocast) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto run = torchsweep::build_run(fashion_config({"train.precision=bf16"}), 1);
  EXPECT_EQ(run.precision, Precision::Bf16);
  EXPECT_EQ(torchsweep::build_run(fashion_config({}), 1).precision, Precision::Fp32);
  EagerStep engine(*run.model, *run.optimizer, run.loss, run.precision);
  EpochMeter meter(kCpu, true);
  run.data->start_epoch(1, run.seed);
  for (int64_t b = 0; b < run.data->train_batches(); ++b)
    engine.step(run.data->train_batch(b).to(kCpu, run.model->dtype()), b, meter, nullptr);
  const auto at = [](const torchsweep::MetricRow& row, const std::string& key) {
    for (const auto& [k, v] : row)
      if (k == key) return v;
    return std::nan("");
  };
  torchsweep::MetricRow bf16, fp32;
  ASSERT_TRUE(torchsweep::evaluate_into(bf16, *run.model, *run.data, run.loss, kCpu, torchsweep::MeterReads::PerBatch,
                                        Precision::Bf16));
  ASSERT_TRUE(torchsweep::evaluate_into(fp32, *run.model, *run.data, run.loss, kCpu, torchsweep::MeterReads::PerBatch));
  const double bf16_loss = at(bf16, "test/loss"), fp32_loss = at(fp32, "test/loss");
  // The same weights evaluated both ways: apart by bf16's rounding (as the first loss
  // of a step, 2 %), and not equal, or autocast did not run.
  EXPECT_NE(bf16_loss, fp32_loss);
  EXPECT_NEAR(bf16_loss, fp32_loss, 0.02 * fp32_loss);
  EXPECT_FALSE(autocast_enabled(kCpuType));
}

TEST(PrecisionRunTest, Fp16OnACpuDeviceIsRefusedWhenTheRunIsBuilt) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "device auto is CUDA here";
  // `auto` passes validation (it may be CUDA where the run lands); on the CPU the run
  // refuses before it builds anything.
  const auto config =
      torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml",
                             {"device=auto", "train.precision=fp16"})
          .runs.at(0)
          .config;
  ASSERT_THROWS_WITH(torchsweep::build_run(config, 1), InputError,
                     "train.precision fp16 needs a CUDA device (this run is on cpu); bf16 is the CPU's lower "
                     "precision");
}

}  // namespace
