// The captured step: its operations run uncaptured train what the eager step trains
// (on the CPU, every build, with every capturable optimizer), and on a GPU the replayed
// graph trains what they train uncaptured, bit for bit, and what the eager engine trains.
#include "train/captured_step.h"

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>

#include "models/layered_model.h"
#include "models/s6_cnn.h"
#include "optim/foreach_adagrad.h"
#include "optim/foreach_adam.h"
#include "optim/foreach_adamw.h"
#include "optim/foreach_rmsprop.h"
#include "optim/foreach_sgd.h"
#include "optim/schedules.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "tests/train/recorded_points.h"
#include "train/trainer.h"

namespace {

using torchsweep::CapturedStep;
using torchsweep::EpochMeter;
using torchsweep::ForeachSGD;
using torchsweep::MemorySink;
using torchsweep::RunStatus;

std::shared_ptr<torchsweep::LayeredModel> seed_cnn(const torch::Device& device) {
  torch::manual_seed(11);
  torchsweep::S6CnnOptions options;
  options.dropout = 0;
  auto model = std::make_shared<torchsweep::LayeredModel>(torchsweep::s6_cnn_layers(options),
                                                          std::vector<int64_t>{1, 28, 28});
  model->to(device);
  return model;
}

torch::optim::SGDOptions sgd_settings() { return torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-3); }

const torchsweep::LossFn nll = [](const torch::Tensor& outputs, const torch::Tensor& targets) {
  return torch::nll_loss(outputs, targets);
};

/// Batches of 32 random images, with a smaller one every fifth step (an epoch's end).
std::vector<torchsweep::Batch> random_batches(int64_t count, const torch::Device& device) {
  torch::manual_seed(5);
  std::vector<torchsweep::Batch> out;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t n = i % 5 == 4 ? 12 : 32;
    out.push_back({torch::randn({n, 1, 28, 28}).to(device), torch::randint(0, 10, {n}, torch::kLong).to(device)});
  }
  return out;
}

double max_relative(const torch::nn::Module& a, const torch::nn::Module& b) {
  double worst = 0;
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    worst = std::max(worst, ((pa[i] - pb[i]).abs() / pb[i].abs().clamp_min(1e-3)).max().item<double>());
  return worst;
}

/// Trains `model` on `batches` with `engine`, the rate changing every step as a
/// per-step schedule would; returns the mean loss the meter read.
double train(torchsweep::StepEngine& engine, torch::optim::Optimizer& optimizer, const torch::Device& device,
             const std::vector<torchsweep::Batch>& batches, double base_lr = 0.05) {
  EpochMeter meter(device, /*classification=*/true);
  for (size_t i = 0; i < batches.size(); ++i) {
    torchsweep::set_lr(optimizer, base_lr / (1.0 + 0.1 * static_cast<double>(i)));
    engine.step(batches[i], static_cast<int64_t>(i), meter, nullptr);
  }
  return meter.read().mean_loss();
}

TEST(CapturedStepTest, ItsOperationsUncapturedTrainAsTheEagerStepDoes) {
  const torch::Device cpu(torch::kCPU);
  const auto batches = random_batches(20, cpu);
  auto eager_model = seed_cnn(cpu), graph_model = seed_cnn(cpu);
  ForeachSGD eager_sgd(eager_model->parameters(), sgd_settings()), graph_sgd(graph_model->parameters(), sgd_settings());
  torchsweep::EagerStep eager(*eager_model, eager_sgd, nll);
  CapturedStep uncaptured(*graph_model, graph_sgd, nll, true, cpu, CapturedStep::Capture::Never);
  const double eager_loss = train(eager, eager_sgd, cpu, batches);
  const double graph_loss = train(uncaptured, graph_sgd, cpu, batches);
  EXPECT_NEAR(graph_loss, eager_loss, 1e-6 * eager_loss);
  EXPECT_LT(max_relative(*graph_model, *eager_model), 1e-4);
  EXPECT_TRUE(graph_sgd.capturable());
  EXPECT_EQ(uncaptured.replayed(), 0);
}

/// An optimizer other than SGD, as LibTorch has it and in its capturable form.
struct OtherOptimizer {
  std::string name;
  double lr;
  std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)> libtorch, capturable;
};

template <typename LibTorchs, typename Ours, typename Options>
OtherOptimizer other_optimizer(const std::string& name, const Options& options) {
  return {name, options.lr(),
          [options](std::vector<torch::Tensor> params) {
            return std::make_unique<LibTorchs>(std::move(params), options);
          },
          [options](std::vector<torch::Tensor> params) { return std::make_unique<Ours>(std::move(params), options); }};
}

TEST(CapturedStepTest, ItsOperationsUncapturedTrainAsLibTorchsOptimizersDoForEveryOptimizer) {
  using namespace torch::optim;
  const torch::Device cpu(torch::kCPU);
  const auto batches = random_batches(20, cpu);
  for (const auto& kind :
       {other_optimizer<Adam, torchsweep::ForeachAdam>("adam", AdamOptions(1e-3).weight_decay(1e-3)),
        other_optimizer<AdamW, torchsweep::ForeachAdamW>("adamw", AdamWOptions(1e-3).amsgrad(true)),
        other_optimizer<RMSprop, torchsweep::ForeachRMSprop>("rmsprop", RMSpropOptions(1e-3).momentum(0.9)),
        other_optimizer<Adagrad, torchsweep::ForeachAdagrad>("adagrad", AdagradOptions(1e-2).lr_decay(0.01))}) {
    auto eager_model = seed_cnn(cpu), graph_model = seed_cnn(cpu);
    const auto libtorchs = kind.libtorch(eager_model->parameters());
    const auto ours = kind.capturable(graph_model->parameters());
    torchsweep::CapturableOptimizer* capturable = torchsweep::as_capturable(*ours);
    ASSERT_NE(capturable, nullptr) << kind.name;
    EXPECT_EQ(torchsweep::capture_obstacle(*ours, torch::Device(torch::kCUDA, 0)),
              torchsweep::cuda_graphs_built() ? "" : "this build's LibTorch has no CUDA")
        << kind.name;
    torchsweep::EagerStep eager(*eager_model, *libtorchs, nll);
    CapturedStep uncaptured(*graph_model, *capturable, nll, true, cpu, CapturedStep::Capture::Never);
    const double eager_loss = train(eager, *libtorchs, cpu, batches, kind.lr);
    const double graph_loss = train(uncaptured, *ours, cpu, batches, kind.lr);
    EXPECT_NEAR(graph_loss, eager_loss, 1e-6 * eager_loss) << kind.name;
    EXPECT_LT(max_relative(*graph_model, *eager_model), 1e-4) << kind.name;
    EXPECT_TRUE(capturable->capturable()) << kind.name;
    EXPECT_EQ(uncaptured.replayed(), 0);
  }
}

TEST(CapturedStepTest, TheRateOnTheDeviceFollowsSetLr) {
  torch::manual_seed(3);
  auto w = torch::ones({4}).requires_grad_(true);
  ForeachSGD sgd({w}, torch::optim::SGDOptions(0.5));
  sgd.make_capturable();
  torchsweep::set_lr(sgd, 0.25);
  sgd.sync_device_state();
  w.mutable_grad() = torch::full({4}, 2.0);
  sgd.step();
  EXPECT_TRUE(torch::allclose(w.detach(), torch::full({4}, 1.0 - 0.25 * 2.0)));
}

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

nlohmann::json fashion_config(const std::vector<std::string>& overrides) {
  std::vector<std::string> all = {"data.train_limit=3000", "data.test_limit=500", "~train.epochs",
                                  "train.steps=100",       "train.log_every=10",  "train.threads=1",
                                  "train.deterministic=true"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml", all);
  return plan.runs.at(0).config;
}

TEST(CapturedStepTest, OffTheGpuARunSaysWhyOnlyWhenAGraphWasAskedFor) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MemorySink asked, automatic;
  torchsweep::train_run(fashion_config({"device=cpu", "train.steps=3", "train.cuda_graph=on"}), asked);
  torchsweep::train_run(fashion_config({"device=cpu", "train.steps=3"}), automatic);
  EXPECT_EQ(asked.started.engine, "eager");
  EXPECT_NE(asked.started.engine_note.find("CUDA graphs need a CUDA device"), std::string::npos)
      << asked.started.engine_note;
  EXPECT_EQ(automatic.started.engine, "eager");
  EXPECT_EQ(automatic.started.engine_note, "");
}

// --- CUDA: these run where LibTorch sees a GPU, and skip elsewhere.

bool has_cuda() { return torch::cuda::is_available(); }

TEST(CapturedStepCudaTest, ReplayedStepsAreTheUncapturedStepsBitForBit) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  const torch::Device gpu(torch::kCUDA, 0);
  const auto batches = random_batches(100, gpu);
  auto plain_model = seed_cnn(gpu), graph_model = seed_cnn(gpu);
  ForeachSGD plain_sgd(plain_model->parameters(), sgd_settings()), graph_sgd(graph_model->parameters(), sgd_settings());
  CapturedStep plain(*plain_model, plain_sgd, nll, true, gpu, CapturedStep::Capture::Never);
  CapturedStep graph(*graph_model, graph_sgd, nll, true, gpu, CapturedStep::Capture::Cuda);
  const double plain_loss = train(plain, plain_sgd, gpu, batches);
  const double graph_loss = train(graph, graph_sgd, gpu, batches);
  ASSERT_EQ(graph.fallback_reason(), "");
  EXPECT_STREQ(graph.name(), "cuda_graph");
  EXPECT_EQ(graph.replayed(), 80 - 3) << "the full batches (4 of every 5) after 3 warm-up steps";
  EXPECT_EQ(graph_loss, plain_loss);
  EXPECT_EQ(max_relative(*graph_model, *plain_model), 0.0) << "every parameter, bit for bit, after 100 steps";
}

TEST(CapturedStepCudaTest, ReplayedStepsAreTheUncapturedStepsBitForBitForEveryOptimizer) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  using namespace torch::optim;
  const torch::Device gpu(torch::kCUDA, 0);
  const auto batches = random_batches(40, gpu);
  for (const auto& kind :
       {other_optimizer<Adam, torchsweep::ForeachAdam>("adam", AdamOptions(1e-3).weight_decay(1e-3)),
        other_optimizer<AdamW, torchsweep::ForeachAdamW>("adamw", AdamWOptions(1e-3).amsgrad(true)),
        other_optimizer<RMSprop, torchsweep::ForeachRMSprop>("rmsprop", RMSpropOptions(1e-3).momentum(0.9)),
        other_optimizer<Adagrad, torchsweep::ForeachAdagrad>("adagrad", AdagradOptions(1e-2).lr_decay(0.01))}) {
    auto plain_model = seed_cnn(gpu), graph_model = seed_cnn(gpu);
    const auto plain_optimizer = kind.capturable(plain_model->parameters());
    const auto graph_optimizer = kind.capturable(graph_model->parameters());
    CapturedStep plain(*plain_model, *torchsweep::as_capturable(*plain_optimizer), nll, true, gpu,
                       CapturedStep::Capture::Never);
    CapturedStep graph(*graph_model, *torchsweep::as_capturable(*graph_optimizer), nll, true, gpu,
                       CapturedStep::Capture::Cuda);
    const double plain_loss = train(plain, *plain_optimizer, gpu, batches, kind.lr);
    const double graph_loss = train(graph, *graph_optimizer, gpu, batches, kind.lr);
    ASSERT_EQ(graph.fallback_reason(), "") << kind.name;
    EXPECT_EQ(graph.replayed(), 32 - 3) << kind.name << ": the full batches (4 of every 5) after 3 warm-up steps";
    EXPECT_EQ(graph_loss, plain_loss) << kind.name;
    EXPECT_EQ(max_relative(*graph_model, *plain_model), 0.0) << kind.name << ": every parameter, bit for bit";
  }
}

using torchsweep::testing::exact_points;

void expect_same_record(const MemorySink& graph, const MemorySink& eager, const std::string& what) {
  ASSERT_EQ(graph.points.size(), eager.points.size()) << what;
  double worst = 0;
  for (size_t i = 0; i < graph.points.size(); ++i) {
    ASSERT_EQ(graph.points[i].key, eager.points[i].key) << what;
    ASSERT_EQ(graph.points[i].step, eager.points[i].step) << what;
    const double e = eager.points[i].value, g = graph.points[i].value;
    worst = std::max(worst, std::abs(g - e) / std::max(std::abs(e), 1e-12));
  }
  std::cout << "[ figures  ] " << what << ": " << graph.points.size()
            << " points, largest relative difference graph vs eager " << worst << "\n";
  EXPECT_EQ(exact_points(graph), exact_points(eager)) << what << ": largest relative difference " << worst;
}

TEST(CapturedStepCudaTest, ARunWithTheGraphRecordsWhatTheEagerRunRecordsOver100DeterministicSteps) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // 3,000 images: 23 full batches and one of 56 an epoch, so the run crosses epoch ends
  // (uncaptured smaller batches, evaluations) and the schedule's step (after 2 epochs).
  for (const std::string dropout : {"0", "0.01"}) {
    const std::vector<std::string> common = {"device=cuda", "model.dropout=" + dropout, "scheduler.step_size=2"};
    auto with = common, without = common;
    with.push_back("train.cuda_graph=on");
    without.push_back("train.cuda_graph=off");
    MemorySink graph, eager;
    torchsweep::TrainOptions strict;
    strict.forbid_host_sync_in_steps = true;
    const auto g = torchsweep::train_run(fashion_config(with), graph, strict);
    const auto e = torchsweep::train_run(fashion_config(without), eager);
    ASSERT_EQ(g.status, RunStatus::Finished) << g.error;
    ASSERT_EQ(e.status, RunStatus::Finished) << e.error;
    EXPECT_EQ(graph.started.engine, "cuda_graph") << graph.started.engine_note;
    EXPECT_EQ(eager.started.engine, "eager");
    EXPECT_EQ(g.steps, 100);
    expect_same_record(graph, eager, "dropout " + dropout);
  }
}

}  // namespace
