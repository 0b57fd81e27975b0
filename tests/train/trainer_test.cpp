#include "train/trainer.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/interrupt.h"
#include "spec/fields.h"
#include "spec/registries.h"
#include "train/run_parts.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "tests/train/recorded_points.h"
#include "tests/train/stop_during_step.h"

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

namespace {

using torchsweep::MeterReads;
using torchsweep::TrainOptions;

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

nlohmann::json fashion_config(const std::vector<std::string>& overrides) {
  std::vector<std::string> all = {"data.train_limit=1280", "data.test_limit=500", "train.epochs=2",
                                  "train.log_every=7",     "train.threads=1",     "train.deterministic=true"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  auto plan = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml", all);
  return plan.runs.at(0).config;
}

using torchsweep::testing::exact_points;

TrainOptions reads(MeterReads mode) {
  TrainOptions options;
  options.metric_reads = mode;
  return options;
}

/// One config trained twice: values read every step (`now`, `a`) and deferred (`later`, `b`).
struct BothReads {
  explicit BothReads(const nlohmann::json& config)
      : a(torchsweep::train_run(config, now, reads(MeterReads::PerBatch))),
        b(torchsweep::train_run(config, later, reads(MeterReads::Deferred))) {}
  MemorySink now, later;
  torchsweep::TrainOutcome a, b;
};

TEST(TrainerTest, DeferredMetricReadsRecordExactlyWhatPerStepReadsRecord) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const BothReads both(fashion_config({"model=mlp", "device=cpu"}));
  const auto& [now, later, a, b] = both;
  ASSERT_EQ(a.status, RunStatus::Finished) << a.error;
  ASSERT_EQ(b.status, RunStatus::Finished) << b.error;
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.final_loss, b.final_loss);
  EXPECT_EQ(now.steps("train/loss"), (std::vector<int64_t>{0, 7, 14, 19})) << "10 steps an epoch, 2 epochs";
  EXPECT_EQ(exact_points(now), exact_points(later));
}

TEST(TrainerTest, DeferredReadsFindADivergenceAtItsOwnStep) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // A learning rate this large overflows within a few steps, between two logged steps.
  const auto config = fashion_config({"model=mlp", "device=cpu", "optimizer.lr=1e30", "~scheduler"});
  const BothReads both(config);
  const auto& [now, later, a, b] = both;
  ASSERT_EQ(a.status, RunStatus::Diverged) << a.error;
  EXPECT_EQ(b.status, RunStatus::Diverged) << b.error;
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_NE(a.steps % 7, 0) << "the test wants a divergence between logged steps: " << a.error;
  EXPECT_EQ(exact_points(now), exact_points(later));
  // The final loss is the last finite one, which a run logging every step shows.
  auto every_step = config;
  every_step["train"]["log_every"] = 1;
  MemorySink all;
  const auto c = torchsweep::train_run(every_step, all, reads(MeterReads::PerBatch));
  ASSERT_EQ(c.steps, a.steps);
  ASSERT_GE(a.steps, 1);
  const double last_finite = all.values("train/loss").at(static_cast<size_t>(a.steps - 1));
  EXPECT_EQ(a.final_loss, last_finite);
  EXPECT_EQ(b.final_loss, last_finite);
}

// --- CUDA: these run where LibTorch sees a GPU, and skip elsewhere.

bool has_cuda() { return torch::cuda::is_available(); }

TEST(TrainerCudaTest, AutoPicksTheGpuAndTheSeedNetworkMatchesTheCpu) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  MemorySink cpu, gpu, automatic;
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "device=cpu"}), cpu);
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "device=cuda"}), gpu);
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "device=auto", "train.steps=2"}), automatic);
  EXPECT_EQ(automatic.started.device, "cuda:0");
  EXPECT_EQ(gpu.ended.status, RunStatus::Finished) << gpu.ended.error;
  ASSERT_EQ(cpu.points.size(), gpu.points.size());
  ASSERT_GT(cpu.points.size(), 100u) << "the spreadsheet's columns, every step";
  for (size_t i = 0; i < cpu.points.size(); ++i) {
    ASSERT_EQ(cpu.points[i].key, gpu.points[i].key);
    ASSERT_EQ(cpu.points[i].step, gpu.points[i].step);
    EXPECT_NEAR(cpu.points[i].value, gpu.points[i].value, 1e-12) << cpu.points[i].key << "@" << cpu.points[i].step;
  }
}

TEST(TrainerCudaTest, DeterministicRerunsAreIdenticalAndAStepNeverWaitsOnTheHost) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const auto config = fashion_config({"device=cuda"});  // the seed CNN, with dropout drawing on the GPU
  TrainOptions strict;
  strict.forbid_host_sync_in_steps = true;  // a wait for the device inside a step fails the run
  MemorySink a, b, per_step;
  const auto first = torchsweep::train_run(config, a, strict);
  ASSERT_EQ(first.status, RunStatus::Finished) << first.error;
  EXPECT_EQ(a.started.device, "cuda:0");
  torchsweep::train_run(config, b);
  EXPECT_EQ(exact_points(a), exact_points(b));
  // Reading every step's values at once gives the same record.
  torchsweep::train_run(config, per_step, reads(MeterReads::PerBatch));
  EXPECT_EQ(exact_points(a), exact_points(per_step));
  EXPECT_EQ(a.steps("test/acc"), (std::vector<int64_t>{1, 2}));
}

}  // namespace

namespace {

TEST(TrainerTest, ALibTorchErrorIsStoredWithoutItsBacktrace) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // An input shape the model does not take (28x28 images into a 3x3 MLP): validation
  // refuses it, so the config is changed after it (as a program calling train_run may).
  // LibTorch throws at the first forward pass.
  auto config = fashion_config({"model=mlp", "device=cpu"});
  config["model"]["input"] = {1, 3, 3};
  config["model"]["sizes"] = {9, 10};
  MemorySink sink;
  const auto outcome = torchsweep::train_run(config, sink);
  ASSERT_EQ(outcome.status, RunStatus::Failed);
  EXPECT_NE(outcome.error.find("cannot be multiplied"), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.error.find("Exception raised from"), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.error.find("frame #"), std::string::npos) << outcome.error;
  EXPECT_LT(outcome.error.size(), 300u) << outcome.error;
}

}  // namespace

namespace {

TEST(TrainerTest, AnEpochScheduleStepsUnderAStepBudgetAsUnderAnEpochBudget) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // 512 samples in batches of 128: 4 steps an epoch; lr x0.1 after every epoch.
  const std::vector<std::string> common = {"model=mlp", "device=cpu", "data.train_limit=512", "scheduler.step_size=1",
                                           "train.log_every=1"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), common.begin(), common.end());
    return fashion_config(more);
  };
  MemorySink by_steps, by_epochs, unscheduled;
  torchsweep::train_run(with({"~train.epochs", "train.steps=20"}), by_steps);
  torchsweep::train_run(with({"train.epochs=5"}), by_epochs);
  torchsweep::train_run(with({"~train.epochs", "train.steps=20", "~scheduler"}), unscheduled);
  const auto steps = by_steps.values("train/loss"), epochs = by_epochs.values("train/loss"),
             plain = unscheduled.values("train/loss");
  ASSERT_EQ(steps.size(), 20u);
  EXPECT_EQ(steps, epochs) << "the same 20 steps whichever budget ends them";
  // Steps 0-4 see only first-epoch updates; from step 5 the smaller lr shows.
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(steps[i], plain[i]) << i;
  for (size_t i = 5; i < 20; ++i) EXPECT_NE(steps[i], plain[i]) << i;
  const auto lr = by_epochs.values("lr");
  ASSERT_EQ(lr.size(), 5u);
  for (size_t e = 0; e < 5; ++e) EXPECT_NEAR(lr[e], 0.01 * std::pow(0.1, static_cast<double>(e)), 1e-15) << e;
}

}  // namespace

namespace {

/// Values at and just inside a numeric option's bounds, and its default; both of a flag's.
std::vector<double> edge_values(const torchsweep::Field& field) {
  if (field.type == torchsweep::Field::Type::Bool) return {0, 1};
  std::vector<double> out;
  if (field.default_value.is_number()) out.push_back(field.default_value.get<double>());
  if (std::isfinite(field.min)) {
    if (!field.min_exclusive) out.push_back(field.min);
    out.push_back(field.min + (field.type == torchsweep::Field::Type::Integer ? 1 : 1e-6));
  }
  if (std::isfinite(field.max)) out.push_back(field.max);
  return out;
}

std::string value_text(const torchsweep::Field& field, double v) {
  if (field.type == torchsweep::Field::Type::Bool) return v != 0 ? "true" : "false";
  if (field.type == torchsweep::Field::Type::Integer) return std::to_string(static_cast<int64_t>(v));
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

/// Every value validate accepts at an option's edges must also start and train: no run
/// may fail at its start for a reason `validate` could have given.
template <typename RegistryT>
int walk_option_edges(const RegistryT& registry, const std::string& section, const std::vector<std::string>& base,
                      nlohmann::json (*config_of)(const std::vector<std::string>&) = seed_config) {
  int trained = 0;
  for (const auto& name : registry.names()) {
    for (const auto& field : registry.get(name).options) {
      using Type = torchsweep::Field::Type;
      if (field.type != Type::Number && field.type != Type::Integer && field.type != Type::Bool) continue;
      for (const double v : edge_values(field)) {
        std::vector<std::string> overrides = base;
        overrides.push_back(section == "scheduler" ? "+scheduler={name: " + name + "}" : section + ".name=" + name);
        overrides.push_back(section + "." + field.key + "=" + value_text(field, v));
        nlohmann::json config;
        try {
          config = config_of(overrides);
        } catch (const torchsweep::InputError&) {
          continue;  // refused by validation: fine, that is where it belongs
        }
        MemorySink sink;
        const auto outcome = torchsweep::train_run(config, sink);
        EXPECT_NE(outcome.status, RunStatus::Failed)
            << section << " " << name << " " << field.key << "=" << value_text(field, v) << ": " << outcome.error;
        ++trained;
      }
    }
  }
  return trained;
}

TEST(TrainerTest, EveryOptimizerAndScheduleOptionThatValidatesAlsoTrains) {
  const std::vector<std::string> base = {"optimizer.lr=0.5", "train.steps=3"};
  EXPECT_GE(walk_option_edges(torchsweep::registries().optimizers, "optimizer", base), 40)
      << "most edges validate and train";
  EXPECT_GE(walk_option_edges(torchsweep::registries().schedules, "scheduler", base), 15);
}

TEST(TrainerTest, AChannelsLastRunKeepsItsConvolutionWeightsSoAndTrainsTheSameNetworkToRounding) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const auto config = fashion_config({"train.epochs=1", "train.memory_format=channels_last"});
  {
    auto run = torchsweep::build_run(config, 1);
    int64_t convolutions = 0;
    for (const auto& p : run.model->parameters()) {
      if (p.dim() != 4) continue;
      ++convolutions;
      EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast)) << p.sizes();
      if (p.size(1) > 1 && p.size(2) * p.size(3) > 1) {
        EXPECT_FALSE(p.is_contiguous()) << p.sizes();
      }
    }
    EXPECT_EQ(convolutions, 9) << "the seed CNN's nine convolutions";
    // A step's gradients and the optimizer's state take the weights' layout.
    run.data->start_epoch(1, run.seed);
    const auto batch = run.data->train_batch(0);
    run.loss(run.model->forward(batch.inputs), batch.targets).backward();
    run.optimizer->step();
    for (const auto& p : run.model->parameters()) {
      if (p.dim() != 4) continue;
      EXPECT_TRUE(p.grad().is_contiguous(torch::MemoryFormat::ChannelsLast)) << p.sizes();
      EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast)) << "after the update " << p.sizes();
    }
  }
  MemorySink contiguous, channels_last;
  const auto a = torchsweep::train_run(fashion_config({"train.epochs=1", "train.memory_format=contiguous"}), contiguous);
  const auto b = torchsweep::train_run(config, channels_last);
  ASSERT_EQ(a.status, RunStatus::Finished) << a.error;
  ASSERT_EQ(b.status, RunStatus::Finished) << b.error;
  EXPECT_EQ(contiguous.started.memory_format, "contiguous");
  EXPECT_EQ(channels_last.started.memory_format, "channels_last");
  const auto la = contiguous.values("train/loss"), lb = channels_last.values("train/loss");
  ASSERT_EQ(la.size(), lb.size());
  ASSERT_FALSE(la.empty());
  // The same network, weights and data: the first loss differs only by the kernels'
  // order of summation (measured in Python on the same network, the first batch of 20
  // seeds, contiguous against Module.to(channels_last): at most 2.2e-5 relative).
  // Training amplifies such rounding quickly (1e-2 by the eighth step), so later steps
  // are held to the same course, not to the same digits.
  EXPECT_NEAR(lb[0], la[0], 5e-5 * std::abs(la[0]));
  EXPECT_LT(lb.back(), lb[0]) << "it learns";
  EXPECT_NEAR(lb.back(), la.back(), 0.1 * la.back());
}

TEST(TrainerTest, MemoryFormatAutoIsChannelsLastForConvolutionsOnTheCpuAndContiguousOtherwise) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto layout_of = [](const std::vector<std::string>& overrides) {
    auto all = overrides;
    all.insert(all.end(), {"~train.epochs", "train.steps=2", "~scheduler"});
    const auto config = fashion_config(all);
    auto run = torchsweep::build_run(config, 1);
    for (const auto& p : run.model->parameters()) {
      if (p.dim() != 4) continue;
      const bool channels_last = run.memory_format == "channels_last";
      EXPECT_TRUE(p.is_contiguous(channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous))
          << p.sizes();
      // With one input channel or a 1x1 kernel the two layouts are the same memory.
      if (p.size(1) > 1 && p.size(2) * p.size(3) > 1) {
        EXPECT_EQ(p.is_contiguous(), !channels_last) << p.sizes();
      }
      // ...but not the same strides, and the convolution picks its layout from the
      // strides: channels-last ones, (H*W*C, 1, W*C, C), as PyTorch's Module.to gives,
      // the first layer's one-channel kernel included.
      if (channels_last) {
        const int64_t c = p.size(1), h = p.size(2), w = p.size(3);
        EXPECT_EQ(p.strides().vec(), (std::vector<int64_t>{h * w * c, 1, w * c, c})) << p.sizes();
        EXPECT_EQ(p.suggest_memory_format(), torch::MemoryFormat::ChannelsLast) << p.sizes();
      }
    }
    return run.memory_format;
  };
  EXPECT_EQ(fashion_config({})["train"]["memory_format"], "auto") << "the default, as the config records it";
  EXPECT_EQ(layout_of({"device=cpu"}), "channels_last") << "the seed CNN on the CPU";
  EXPECT_EQ(layout_of({"device=cpu", "model=lenet5"}), "channels_last");
  EXPECT_EQ(layout_of({"device=cpu", "model=mlp"}), "contiguous") << "nothing to lay out";
  EXPECT_EQ(layout_of({"device=cpu", "train.memory_format=contiguous"}), "contiguous") << "asked for";
  if (torch::cuda::is_available()) {
    EXPECT_EQ(layout_of({"device=cuda"}), "contiguous") << "not measured on CUDA: the default does not change it";
    EXPECT_EQ(layout_of({"device=cuda", "train.memory_format=channels_last"}), "channels_last");
  }
  // auto trains exactly as the layout it resolves to.
  MemorySink automatic, asked;
  const std::vector<std::string> short_run = {"device=cpu", "~train.epochs", "train.steps=6", "train.log_every=1"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), short_run.begin(), short_run.end());
    return fashion_config(more);
  };
  torchsweep::train_run(with({}), automatic);
  torchsweep::train_run(with({"train.memory_format=channels_last"}), asked);
  EXPECT_EQ(automatic.started.memory_format, "channels_last");
  EXPECT_EQ(exact_points(automatic), exact_points(asked));
}

TEST(TrainerTest, EveryModelAndDataOptionThatValidatesAlsoTrains) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // Models and data sets meet here: a model that does not fit the data (the seed
  // network on images, say) must be refused by validation, never fail at its start.
  const std::vector<std::string> base = {"device=cpu", "~train.epochs", "train.steps=2", "data.train_limit=256",
                                         "data.test_limit=100"};
  EXPECT_GE(walk_option_edges(torchsweep::registries().models, "model", base, fashion_config), 4);
  EXPECT_GE(walk_option_edges(torchsweep::registries().datasets, "data", base, fashion_config), 15);
}

}  // namespace

namespace {

// Fashion-MNIST limited to 1,280 samples: 10 steps an epoch.

TEST(TrainerTest, AStepBudgetEvaluatesAndCheckpointsAtItsEndOnTheStepAxis) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  torchsweep::testing::TempDir dir;
  MemorySink sink;
  torchsweep::TrainOptions options;
  options.checkpoint_dir = dir.path();
  const auto outcome =
      torchsweep::train_run(fashion_config({"model=mlp", "device=cpu", "~train.epochs", "train.steps=13"}), sink, options);
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{13})) << "once, after the last of 13 steps";
  EXPECT_EQ(sink.axis("test/acc"), torchsweep::MetricAxis::Step);
  EXPECT_TRUE(sink.steps("train/loss_epoch").empty()) << "a step budget writes no epoch rows unless asked";
  ASSERT_EQ(sink.checkpoints.size(), 1u);
  EXPECT_EQ(sink.checkpoints[0].second, 1) << "13 steps: one whole epoch done";
}

TEST(TrainerTest, EvaluationsEveryNStepsSitOnTheStepAxisBesideTheEpochRows) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MemorySink sink;
  const auto outcome =
      torchsweep::train_run(fashion_config({"model=mlp", "device=cpu", "train.eval_every=4 steps"}), sink);
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{4, 8, 12, 16, 20}));
  EXPECT_EQ(sink.axis("test/acc"), torchsweep::MetricAxis::Step);
  EXPECT_EQ(sink.steps("train/loss_epoch"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sink.axis("train/loss_epoch"), torchsweep::MetricAxis::Epoch);
  EXPECT_EQ(sink.values("train/steps"), (std::vector<double>{10, 20})) << "where each epoch ended";
}

TEST(TrainerTest, EpochEvaluationsUnderAStepBudgetIncludeThePartialLastEpoch) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  MemorySink sink;
  const auto outcome = torchsweep::train_run(
      fashion_config({"model=mlp", "device=cpu", "~train.epochs", "train.steps=13", "train.eval_every=1 epoch"}), sink);
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sink.axis("test/acc"), torchsweep::MetricAxis::Epoch);
  EXPECT_EQ(sink.values("train/steps"), (std::vector<double>{10, 13}));
}

TEST(TrainerTest, AScheduleWithIntervalStepAdvancesAfterEveryOptimizerStep) {
  MemorySink plain, scheduled;
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "train.steps=8"}), plain);
  torchsweep::train_run(seed_config({"optimizer.lr=0.5", "train.steps=8",
                                     "+scheduler={name: step, step_size: 3, gamma: 0.1, interval: step}"}),
                        scheduled);
  const auto a = plain.values("train/loss"), b = scheduled.values("train/loss");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  // Updates 0-2 use lr 0.5, update 3 on use 0.05: the loss of step 4 is the first to differ.
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(a[i], b[i]) << i;
  for (size_t i = 4; i < 8; ++i) EXPECT_NE(a[i], b[i]) << i;
}

TEST(TrainerTest, AMidEpochCheckpointContinuesExactlyAsAnUnbrokenRun) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const std::vector<std::string> base = {"model=mlp", "device=cpu", "~train.epochs", "train.log_every=1"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), base.begin(), base.end());
    return fashion_config(more);
  };
  MemorySink whole, first, rest;
  torchsweep::train_run(with({"train.steps=17"}), whole);
  torchsweep::testing::TempDir dir;
  torchsweep::TrainOptions options;
  options.checkpoint_dir = dir.path();
  torchsweep::train_run(with({"train.steps=17", "train.checkpoint_every=6 steps"}), first, options);
  EXPECT_EQ(first.checkpoints.size(), 3u) << "after steps 6, 12 and 17";
  // Continue from the step-12 checkpoint (epoch 2, batch 2) of a run that stopped there.
  torchsweep::testing::TempDir resumed_dir;
  torchsweep::TrainOptions stop_at_12 = options;
  stop_at_12.checkpoint_dir = resumed_dir.path();
  MemorySink twelve;
  torchsweep::train_run(with({"train.steps=12", "train.checkpoint_every=6 steps"}), twelve, stop_at_12);
  stop_at_12.resume = true;
  const auto outcome = torchsweep::train_run(with({"train.steps=17"}), rest, stop_at_12);
  ASSERT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(rest.started.resumed_at_step, 12);
  const auto expected = whole.values("train/loss");
  const auto got = rest.values("train/loss");
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(got[i], expected[12 + i]) << "step " << 12 + i;
  EXPECT_EQ(rest.values("test/acc"), whole.values("test/acc"));
}

}  // namespace

namespace {

using torchsweep::testing::StopDuringStep;

/// Clears a requested stop however the test ends.
struct ClearsInterrupt {
  ~ClearsInterrupt() { torchsweep::clear_interrupt(); }
};

TEST(TrainerTest, AStopDuringTheLastStepLeavesItsEvaluationPendingAndTheContinuedRunEndsAsAnUnbrokenOne) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ClearsInterrupt clears;
  // 13 steps, evaluated once after the last.
  const auto config = fashion_config({"model=mlp", "device=cpu", "~train.epochs", "train.steps=13"});
  MemorySink whole;
  const auto unbroken = torchsweep::train_run(config, whole);
  ASSERT_EQ(unbroken.status, RunStatus::Finished) << unbroken.error;
  ASSERT_EQ(whole.steps("test/acc"), (std::vector<int64_t>{13}));

  torchsweep::testing::TempDir dir;
  TrainOptions options;
  options.checkpoint_dir = dir.path();
  StopDuringStep stopped(13);
  const auto first = torchsweep::train_run(config, stopped, options);
  torchsweep::clear_interrupt();
  EXPECT_EQ(first.status, RunStatus::Interrupted);
  EXPECT_EQ(first.error, "stopped by SIGINT after step 13");
  EXPECT_EQ(first.steps, 13);
  EXPECT_TRUE(stopped.values("test/acc").empty()) << "the evaluation due after the last step waits";
  ASSERT_EQ(stopped.checkpoints.size(), 1u);
  EXPECT_EQ(stopped.values("train/loss"), whole.values("train/loss"));

  options.resume = true;
  MemorySink rest;
  const auto continued = torchsweep::train_run(config, rest, options);
  ASSERT_EQ(continued.status, RunStatus::Finished) << continued.error;
  EXPECT_EQ(continued.steps, 13);
  EXPECT_TRUE(rest.values("train/loss").empty()) << "no step is trained again";
  EXPECT_EQ(rest.steps("test/acc"), (std::vector<int64_t>{13}));
  EXPECT_EQ(rest.values("test/acc"), whole.values("test/acc"));
  EXPECT_EQ(rest.values("test/loss"), whole.values("test/loss"));
  EXPECT_EQ(continued.final_loss, whole.values("train/loss").back()) << "the last step's loss, kept in the checkpoint";
  EXPECT_EQ(continued.final_loss, unbroken.final_loss);
}

TEST(TrainerTest, AStopDuringAnEpochsLastStepEndsTheEpochWholeWhenNoEvaluationIsDue) {
  if (access(kFashion, R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ClearsInterrupt clears;
  // Two epochs of 10 steps, evaluated every 4 steps: none is due after step 10.
  const auto config = fashion_config({"model=mlp", "device=cpu", "train.eval_every=4 steps"});
  torchsweep::testing::TempDir dir;
  TrainOptions options;
  options.checkpoint_dir = dir.path();
  StopDuringStep stopped(10);
  const auto first = torchsweep::train_run(config, stopped, options);
  torchsweep::clear_interrupt();
  EXPECT_EQ(first.status, RunStatus::Interrupted);
  EXPECT_EQ(stopped.steps("train/loss_epoch"), (std::vector<int64_t>{1})) << "epoch 1 is recorded whole";
  EXPECT_EQ(stopped.steps("test/acc"), (std::vector<int64_t>{4, 8}));
  ASSERT_EQ(stopped.checkpoints.size(), 1u);
  EXPECT_EQ(stopped.checkpoints[0].second, 1) << "the checkpoint after the whole epoch";
}

TEST(TrainerTest, AStopDuringTheLastStepWithNoEvaluationDueFinishesTheRun) {
  ClearsInterrupt clears;
  // The seed network has no evaluation data: nothing is due after step 12.
  const auto config = seed_config({"optimizer.lr=0.5", "train.steps=12"});
  MemorySink whole;
  const auto unbroken = torchsweep::train_run(config, whole);
  StopDuringStep stopped(12);
  const auto outcome = torchsweep::train_run(config, stopped);
  EXPECT_EQ(outcome.status, RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 12);
  EXPECT_EQ(outcome.final_loss, whole.values("train/loss").back());
}

}  // namespace
