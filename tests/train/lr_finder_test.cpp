// The learning-rate range test: fastai's schedule, smoothing, stops and suggestions,
// each checked against numbers worked out here by hand or by a closed form the code
// does not use; and the run it trains put back bit for bit.
#include "train/lr_finder.h"

#include <csignal>
#include <cmath>
#include <limits>

#include "base/error.h"
#include "base/interrupt.h"
#include "optim/optimizers.h"
#include "sweep/sweep.h"
#include "train/batch_source.h"
#include "train/epoch_meter.h"
#include "train/run_parts.h"
#include "train/step_engine.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::LrFindOptions;
using torchsweep::LrFindStop;
using torchsweep::MemorySink;

LrFindOptions options(double start, double end, int64_t steps, double stop_factor = 4.0) {
  LrFindOptions o;
  o.start_lr = start;
  o.end_lr = end;
  o.steps = steps;
  o.stop_factor = stop_factor;
  return o;
}

nlohmann::json seed_config(const std::vector<std::string>& overrides = {}) {
  return torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml", overrides)
      .runs.at(0)
      .config;
}

TEST(LrFinderTest, TheRateGrowsExponentiallyFromStartToExactlyEnd) {
  // 1e-3 to 10 over 5 steps: one decade a step.
  std::vector<double> seen;
  const auto result = torchsweep::run_lr_range_test(options(1e-3, 10, 5), [&](int64_t, double lr) {
    seen.push_back(lr);
    return 1.0;
  });
  const std::vector<double> decades = {1e-3, 1e-2, 1e-1, 1.0, 10.0};
  ASSERT_EQ(seen.size(), 5u);
  ASSERT_EQ(result.points.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(seen[i], decades[i], 1e-14 * decades[i]) << i;
    EXPECT_EQ(result.points[i].lr, seen[i]);
    EXPECT_EQ(result.points[i].step, static_cast<int64_t>(i));
  }
  EXPECT_EQ(seen.front(), 1e-3);
  EXPECT_EQ(seen.back(), 10.0) << "the last step is at --end exactly";
  EXPECT_EQ(result.stop, LrFindStop::Completed);
  // fastai's defaults: 1e-7 to 10 in 100 steps; step 33 is 1e-7 · 1e8^(1/3).
  const LrFindOptions defaults;
  EXPECT_NEAR(torchsweep::lr_find_rate(defaults, 33), 1e-7 * std::cbrt(1e8), 1e-18);
  EXPECT_NEAR(torchsweep::lr_find_rate(defaults, 50), 1e-7 * std::pow(1e8, 50.0 / 99.0), 1e-18);
}

TEST(LrFinderTest, TheSmoothedLossIsTheDebiasedMovingAverage) {
  // smoothed_i = Σ_k≤i (1−β) β^(i−k) loss_k / (1 − β^(i+1)): the closed form, summed here.
  const std::vector<double> losses = {2.0, 1.0, 3.0, 0.5, 0.25, 4.0, 1.5};
  size_t next = 0;
  const auto result = torchsweep::run_lr_range_test(options(1e-3, 1, 7, 0), [&](int64_t, double) {
    return losses[next++];
  });
  ASSERT_EQ(result.points.size(), losses.size());
  const double beta = 0.98;
  for (size_t i = 0; i < losses.size(); ++i) {
    double sum = 0;
    for (size_t k = 0; k <= i; ++k) sum += (1 - beta) * std::pow(beta, static_cast<double>(i - k)) * losses[k];
    EXPECT_NEAR(result.points[i].smoothed, sum / (1 - std::pow(beta, static_cast<double>(i + 1))), 1e-13) << i;
    EXPECT_EQ(result.points[i].loss, losses[i]);
  }
  EXPECT_EQ(result.points[0].smoothed, 2.0) << "after one loss, the loss itself";
  torchsweep::SmoothedLoss plain(0.0);  // no memory: the loss itself
  EXPECT_EQ(plain.add(3.0), 3.0);
  EXPECT_EQ(plain.add(5.0), 5.0);
}

TEST(LrFinderTest, ItStopsOnceTheSmoothedLossPassesFourTimesItsBest) {
  // Loss 1 for ten steps, then 25. The best smoothed loss is 1 (to rounding); the
  // smoothed loss after the jump is worked out below from the closed form.
  auto loss_at = [](int64_t i) { return i < 10 ? 1.0 : 25.0; };
  const auto result = torchsweep::run_lr_range_test(options(1e-6, 1, 100), [&](int64_t i, double) { return loss_at(i); });
  // Independently: the first step whose smoothed loss is above 4 (the best is 1).
  int64_t expected = -1;
  for (int64_t i = 0; i < 100 && expected < 0; ++i) {
    double sum = 0;
    for (int64_t k = 0; k <= i; ++k) sum += 0.02 * std::pow(0.98, static_cast<double>(i - k)) * loss_at(k);
    if (sum / (1 - std::pow(0.98, static_cast<double>(i + 1))) > 4.0) expected = i;
  }
  ASSERT_EQ(expected, 11) << "the case worked out: step 10 gives 3.41, step 11 gives 5.41";
  EXPECT_EQ(result.stop, LrFindStop::Diverged);
  EXPECT_EQ(static_cast<int64_t>(result.points.size()), expected + 1) << "the step that stopped it is kept";
  EXPECT_NEAR(result.best_smoothed, 1.0, 1e-12);
  EXPECT_NE(result.stop_reason.find("at step 11"), std::string::npos) << result.stop_reason;
  // stop_factor 0: it never stops on the loss.
  const auto all = torchsweep::run_lr_range_test(options(1e-6, 1, 100, 0), [&](int64_t i, double) { return loss_at(i); });
  EXPECT_EQ(all.stop, LrFindStop::Completed);
  EXPECT_EQ(all.points.size(), 100u);
}

TEST(LrFinderTest, ItStopsAtTheFirstNonFiniteLossAndSuggestsFromTheRest) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto result = torchsweep::run_lr_range_test(options(1e-4, 1, 50, 0), [&](int64_t i, double) {
    return i == 30 ? nan : 10.0 - 0.1 * static_cast<double>(i);
  });
  EXPECT_EQ(result.stop, LrFindStop::NonFinite);
  ASSERT_EQ(result.points.size(), 31u);
  EXPECT_TRUE(std::isnan(result.points.back().loss));
  EXPECT_NE(result.stop_reason.find("nan at step 30"), std::string::npos) << result.stop_reason;
  ASSERT_TRUE(result.suggestions.minimum.has_value());
  // Falling to the end: the lowest point is the last of the window [50/10, 31 − 5) = [5, 26).
  EXPECT_EQ(result.suggestions.minimum->marked_lr, result.points[25].lr);
  EXPECT_TRUE(std::isfinite(result.suggestions.minimum->marked_loss));
}

TEST(LrFinderTest, SuggestionsOnAHandWorkedCurve) {
  // Nine points a decade apart, 1e-6 .. 100. Loss against log10(lr): flat, a fall, a rise.
  const std::vector<double> lrs = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100};
  const std::vector<double> losses = {2.0, 2.1, 2.0, 1.8, 1.5, 0.7, 0.5, 0.9, 3.0};
  const auto s = torchsweep::suggest_lrs(lrs, losses);
  ASSERT_TRUE(s.minimum && s.steep && s.valley);
  // minimum: the lowest loss 0.5 is at lr 1; a tenth of it.
  EXPECT_DOUBLE_EQ(s.minimum->lr, 0.1);
  EXPECT_EQ(s.minimum->marked_lr, 1.0);
  EXPECT_EQ(s.minimum->marked_loss, 0.5);
  // steep: the drops per decade are +0.1, −0.1, −0.2, −0.3, −0.8, −0.2, +0.4, +2.1; the
  // steepest, −0.8, starts at lr 1e-2.
  EXPECT_EQ(s.steep->lr, 1e-2);
  EXPECT_EQ(s.steep->marked_loss, 1.5);
  // valley: the longest decreasing run is 2.1 (1e-5) → 2.0 → 1.8 → 1.5 → 0.7 → 0.5 (1),
  // six points ending at index 6; fastai takes its start as 6 − 6 = 0 and its length as
  // 6, so the index is 0 + int(6/3) + int(6/3/2) = 3: lr 1e-3.
  EXPECT_EQ(s.valley->lr, 1e-3);
  EXPECT_EQ(s.valley->marked_loss, 1.8);
  // The sweep range: a tenth of min(steep, minimum / 10) up to the rate at the minimum.
  const auto [low, high] = torchsweep::suggested_range(s, options(1e-6, 100, 9));
  EXPECT_NEAR(low, 1e-3, 1e-18);
  EXPECT_EQ(high, 1.0);
}

TEST(LrFinderTest, ValleyEdgeCasesAndTooFewPoints) {
  // Two points falling: fastai's index is −1 + 0 + 0, which Python reads as the last
  // point; here it is the first.
  const auto two = torchsweep::suggest_lrs({0.1, 1.0}, {2.0, 1.0});
  ASSERT_TRUE(two.valley);
  EXPECT_EQ(two.valley->lr, 0.1);
  // A steadily falling curve of 7: valley run −1..6, length 7, index −1 + 2 + 1 = 2.
  const auto falling = torchsweep::suggest_lrs({1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1});
  EXPECT_EQ(falling.valley->lr, 3.0);
  EXPECT_EQ(falling.minimum->lr, 0.7);
  // No decrease at all: the valley is the first point.
  const auto rising = torchsweep::suggest_lrs({1, 2, 3}, {1, 2, 3});
  EXPECT_EQ(rising.valley->lr, 1.0);
  // Fewer than two finite points: nothing to suggest, and no range.
  const auto none = torchsweep::suggest_lrs({1, 2}, {1, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_FALSE(none.minimum || none.steep || none.valley);
  EXPECT_EQ(torchsweep::suggested_range(none, options(1e-7, 10, 100)), std::make_pair(0.0, 0.0));
}

TEST(LrFinderTest, BadOptionsAreNamedByTheirFlags) {
  EXPECT_EQ(torchsweep::lr_find_options_error(LrFindOptions{}), "");
  EXPECT_NE(torchsweep::lr_find_options_error(options(1, 1, 100)).find("--start 1: expected a rate below --end"),
            std::string::npos);
  EXPECT_NE(torchsweep::lr_find_options_error(options(0, 1, 100)).find("--start 0"), std::string::npos);
  EXPECT_NE(torchsweep::lr_find_options_error(options(1e-3, 1, 1)).find("--steps 1"), std::string::npos);
  EXPECT_NE(torchsweep::lr_find_options_error(options(1e-3, 1, 10, 0.5)).find("--stop-factor 0.5"),
            std::string::npos);
}

TEST(LrFinderTest, TheSeedNetworkStopsEarlyWithTheRateRunningToTenThousand) {
  // The 2-2-2 sigmoid network's E_total is at most 0.25 and starts at 0.0142: rates
  // towards 1e4 saturate the sigmoids and the smoothed loss passes 4 × its best.
  MemorySink sink;
  auto o = options(1e-7, 1e4, 100);
  const auto outcome = torchsweep::find_lr_for_config(seed_config(), sink, o);
  ASSERT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  const auto& r = outcome.result;
  EXPECT_EQ(r.stop, LrFindStop::Diverged) << r.stop_reason;
  EXPECT_LT(r.points.size(), 100u);
  EXPECT_NEAR(r.points.front().loss, 0.01418137794, 1e-10) << "step 0 is the spreadsheet's iteration 0";
  EXPECT_GT(r.points.back().smoothed, 4 * r.best_smoothed);
  ASSERT_TRUE(r.suggestions.valley);
  EXPECT_GT(r.range_high, r.range_low);
  // Recorded on the step axis, one point per step, the suggestions at the last step.
  EXPECT_EQ(sink.values("lr_find/lr").size(), r.points.size());
  EXPECT_EQ(sink.values("lr_find/smoothed_loss").back(), r.points.back().smoothed);
  EXPECT_EQ(sink.steps("lr_find/valley"), std::vector<int64_t>{r.points.back().step});
  EXPECT_EQ(sink.values("lr_find/valley").front(), r.suggestions.valley->lr);
  EXPECT_EQ(sink.values("lr_find/stop").front(), 1.0) << "diverged";
  EXPECT_EQ(sink.ended.status, torchsweep::RunStatus::Finished);
  EXPECT_EQ(sink.ended.steps, static_cast<int64_t>(r.points.size()));
}

TEST(LrFinderTest, AnInterruptEndsTheTestAsFailedNotContinued) {
  MemorySink sink;
  torchsweep::request_interrupt(SIGINT);
  const auto outcome = torchsweep::find_lr_for_config(seed_config(), sink, LrFindOptions{});
  torchsweep::clear_interrupt();
  EXPECT_EQ(outcome.status, torchsweep::RunStatus::Failed);
  EXPECT_NE(outcome.error.find("interrupted by SIGINT at step 0"), std::string::npos) << outcome.error;
  EXPECT_TRUE(outcome.result.points.empty());
}

/// Everything a run's next step depends on, as exact values.
struct Snapshot {
  std::vector<torch::Tensor> tensors;  // parameters, gradients, buffers, momentum buffers
  double lr = 0;
  torch::Tensor rng;
};

Snapshot snapshot(torchsweep::RunParts& run) {
  Snapshot s;
  for (const auto& p : run.model->parameters()) {
    s.tensors.push_back(p.detach().clone());
    s.tensors.push_back(p.grad().defined() ? p.grad().clone() : torch::tensor({-12345.0}));
  }
  for (const auto& b : run.model->buffers()) s.tensors.push_back(b.detach().clone());
  for (const auto& p : run.model->parameters()) {
    const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
    auto& state = run.optimizer->state();
    EXPECT_NE(state.find(key), state.end());
    if (state.find(key) != state.end())
      s.tensors.push_back(static_cast<torch::optim::SGDParamState&>(*state.at(key)).momentum_buffer().clone());
  }
  s.lr = torchsweep::current_lr(*run.optimizer);
  s.rng = at::globalContext().defaultGenerator(torch::kCPU).get_state();
  return s;
}

/// Trains steps [from, to) as the trainer would, returning their losses.
std::vector<double> train(torchsweep::RunParts& run, int64_t from, int64_t to) {
  torchsweep::BatchSource batches(*run.data, run.device, run.model->dtype(), run.seed);
  torchsweep::EagerStep engine(*run.model, *run.optimizer, run.loss);
  torchsweep::EpochMeter meter(run.device, true, torchsweep::MeterReads::PerBatch);
  batches.start_epoch(1);
  std::vector<double> losses;
  for (int64_t i = from; i < to; ++i) {
    meter.reset();
    engine.step(batches.batch(i), i, meter, nullptr);
    meter.read();
    losses.push_back(meter.last_loss());
  }
  return losses;
}

TEST(LrFinderTest, TheModelOptimizerAndGeneratorsAreRestoredBitForBit) {
  // The seed's CNN (batch norm buffers, dropout drawing from the generator) with SGD's
  // momentum buffers, after two steps of training, on 256 Fashion-MNIST images.
  auto config = torchsweep::load_sweep(torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml",
                                       {"device=cpu", "data.train_limit=256", "data.test_limit=64",
                                        "data.batch_size=32", "train.threads=2"})
                    .runs.at(0)
                    .config;
  auto run = torchsweep::build_run(config, 2);
  train(run, 0, 2);
  const Snapshot before = snapshot(run);

  MemorySink sink;
  const auto result = torchsweep::find_lr(run, options(1e-5, 10, 12), &sink);
  ASSERT_EQ(result.points.size(), sink.values("lr_find/loss").size());
  ASSERT_GE(result.points.size(), 2u);

  const Snapshot after = snapshot(run);
  ASSERT_EQ(before.tensors.size(), after.tensors.size());
  for (size_t i = 0; i < before.tensors.size(); ++i)
    EXPECT_TRUE(torch::equal(before.tensors[i], after.tensors[i])) << "tensor " << i;
  EXPECT_EQ(before.lr, after.lr);
  EXPECT_EQ(before.lr, 0.01) << "the spec's rate";
  EXPECT_TRUE(torch::equal(before.rng, after.rng));

  // And so the steps that follow are those of a run that never had the test.
  const auto next = train(run, 2, 5);
  auto fresh = torchsweep::build_run(config, 2);
  train(fresh, 0, 2);
  const auto expected = train(fresh, 2, 5);
  ASSERT_EQ(next.size(), expected.size());
  for (size_t i = 0; i < next.size(); ++i) EXPECT_EQ(next[i], expected[i]) << "step " << 2 + i;
}

}  // namespace
