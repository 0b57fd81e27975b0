// The early-stopping rules against numbers worked out by hand from their references:
// ASHA's rungs and promotions (Li et al., MLSys 2020), Optuna's MedianPruner and
// PatientPruner, W&B's hyperband_stopping; and the sweep.early_stop section's errors.
#include "sweep/early_stopping.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error_list.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::EarlyStopping;
using torchsweep::Goal;
using torchsweep::History;
using torchsweep::MetricAxis;
using torchsweep::RungValue;
using torchsweep::SpecError;
using torchsweep::SpecErrors;
using torchsweep::testing::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

EarlyStopping rule(EarlyStopping::Rule r, int64_t min_resource, double eta, int64_t max_resource) {
  EarlyStopping es;
  es.rule = r;
  es.metric = "test/loss";
  es.min_resource = min_resource;
  es.eta = eta;
  es.max_resource = max_resource;
  es.brackets = r == EarlyStopping::Rule::Hyperband ? torchsweep::most_brackets(es) : 1;
  return es;
}

TEST(EarlyStoppingRungs, AreMinResourceTimesEtaToTheKBelowTheBudget) {
  using V = std::vector<int64_t>;
  // 1·3^k below 27: 1, 3, 9 (27 is the budget: a run there has finished).
  const auto asha = rule(EarlyStopping::Rule::Asha, 1, 3, 27);
  EXPECT_EQ(torchsweep::rungs_of(asha, 0), (V{1, 3, 9}));
  EXPECT_EQ(torchsweep::bracket_of(asha, 5), 0);
  // The acceptance sweep's setting: 3 epochs, η = 3: one rung, at epoch 1.
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Asha, 1, 3, 3), 0), (V{1}));
  // 2·2^k up to 20: 2, 4, 8, 16 (s_max = 3); the level 16 is where runs finish, trained
  // to the budget 20, so the rungs are 2, 4, 8: a rung at 16 would hold the one run
  // promoted from 8, and ⌊1/2⌋ = 0 would never let it go on.
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Asha, 2, 2, 20), 0), (V{2, 4, 8}));
  // The ASHA benchmark's: min 52, η 3, 3 epochs of 469 steps = 1407: 52, 156, 468 (52·27
  // = 1404 is the last level, trained to 1407).
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Asha, 52, 3, 1407), 0), (V{52, 156, 468}));
  // η = 2.5: 1, 2.5 → 3, 6.25 → 6, 15.625 → 16 (the last level; 39.06 is past 20):
  // nearest, halves up.
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Asha, 1, 2.5, 20), 0), (V{1, 3, 6}));
  // η = 1.2 below 4: 1, 1.2 → 1, 1.44 → 1, 1.728 → 2, 2.07 → 2, 2.49 → 2, 2.99 → 3,
  // 3.58 → 4 (the budget): repeated rungs are one.
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Asha, 1, 1.2, 4), 0), (V{1, 2, 3}));
}

TEST(EarlyStoppingRungs, HyperbandBracketsStartOneRungHigherEach) {
  using V = std::vector<int64_t>;
  // min 1, η 3, max 27: s_max = 3 (3^3 = 27 <= 27), so 4 brackets; bracket b's rungs
  // start at 3^b, and bracket 3 trains every run it has to the budget.
  const auto hb = rule(EarlyStopping::Rule::Hyperband, 1, 3, 27);
  EXPECT_EQ(torchsweep::most_brackets(hb), 4);
  EXPECT_EQ(torchsweep::rungs_of(hb, 0), (V{1, 3, 9}));
  EXPECT_EQ(torchsweep::rungs_of(hb, 1), (V{3, 9}));
  EXPECT_EQ(torchsweep::rungs_of(hb, 2), (V{9}));
  EXPECT_EQ(torchsweep::rungs_of(hb, 3), (V{}));
  // Runs go to the brackets in turn.
  EXPECT_EQ(torchsweep::bracket_of(hb, 0), 0);
  EXPECT_EQ(torchsweep::bracket_of(hb, 3), 3);
  EXPECT_EQ(torchsweep::bracket_of(hb, 5), 1);
  // min 2, η 2, max 20: 2·2^3 = 16 <= 20 < 32: 4 brackets.
  EXPECT_EQ(torchsweep::most_brackets(rule(EarlyStopping::Rule::Hyperband, 2, 2, 20)), 4);
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Hyperband, 2, 2, 20), 2), (V{8}));
  EXPECT_EQ(torchsweep::rungs_of(rule(EarlyStopping::Rule::Hyperband, 2, 2, 20), 3), (V{}));
  // min 1, η 3, max 8: 3 <= 8 < 9: 2 brackets.
  EXPECT_EQ(torchsweep::most_brackets(rule(EarlyStopping::Rule::Hyperband, 1, 3, 8)), 2);
}

/// The same promotion for every order of every rung's runs.
void expect_same_in_any_order(const EarlyStopping& es, std::vector<std::vector<RungValue>> rungs) {
  const auto expected = torchsweep::next_promotion(es, rungs);
  for (auto& rung : rungs)
    std::sort(rung.begin(), rung.end(), [](const RungValue& a, const RungValue& b) { return a.run_id < b.run_id; });
  int orders = 0;
  do {
    const auto got = torchsweep::next_promotion(es, rungs);
    ASSERT_EQ(got.has_value(), expected.has_value());
    if (got) {
      EXPECT_EQ(got->run_id, expected->run_id);
      EXPECT_EQ(got->rung, expected->rung);
      EXPECT_EQ(got->threshold, expected->threshold);
    }
    ++orders;
  } while (std::next_permutation(rungs[0].begin(), rungs[0].end(),
                                 [](const RungValue& a, const RungValue& b) { return a.run_id < b.run_id; }));
  EXPECT_GT(orders, 1);
}

TEST(EarlyStoppingPromotion, TakesTheBestNotYetPromotedOfTheTopThirdFromTheHighestRung) {
  auto es = rule(EarlyStopping::Rule::Asha, 1, 3, 27);
  // Rung 0, 6 runs, ⌊6/3⌋ = 2 may go on. Ranked: 0.3 (run 2), 0.3 (run 4: the tie goes to
  // the lower id), 0.5, 0.7, 0.9, NaN (last). Run 2 first.
  std::vector<RungValue> rung0 = {{1, 0.5}, {2, 0.3}, {3, 0.9}, {4, 0.3}, {5, kNaN}, {6, 0.7}};
  auto p = torchsweep::next_promotion(es, {rung0});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->run_id, 2);
  EXPECT_EQ(p->rung, 0);
  EXPECT_EQ(p->value, 0.3);
  EXPECT_EQ(p->threshold, 0.3);  // the 2nd best
  EXPECT_EQ(p->reached, 6);
  EXPECT_EQ(p->top, 2);
  EXPECT_EQ(torchsweep::rung_cutoff(es, rung0), 0.3);
  expect_same_in_any_order(es, {rung0});
  // Run 2 promoted: run 4 next; both promoted: none (run 1's 0.5 is not in the top 2).
  rung0[1].promoted = true;
  EXPECT_EQ(torchsweep::next_promotion(es, {rung0})->run_id, 4);
  rung0[3].promoted = true;
  EXPECT_FALSE(torchsweep::next_promotion(es, {rung0}));
  // Rung 1 holds runs 2 and 4: ⌊2/3⌋ = 0, nobody goes on from there, and rung 0 has
  // nobody left either.
  std::vector<RungValue> rung1 = {{2, 0.28}, {4, 0.2}};
  EXPECT_FALSE(torchsweep::next_promotion(es, {rung0, rung1}));
  EXPECT_TRUE(std::isnan(torchsweep::rung_cutoff(es, rung1)));
  // A 7th run reaches rung 0 with 0.1: ⌊7/3⌋ = 2, the top two are runs 7 and 2, so run 7
  // goes on, having passed run 2's 0.3.
  rung0.push_back({7, 0.1});
  p = torchsweep::next_promotion(es, {rung0, rung1});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->run_id, 7);
  EXPECT_EQ(p->threshold, 0.3);
  expect_same_in_any_order(es, {rung0, rung1});
  // Run 7 reaches rung 1 with 0.25: 3 runs there, ⌊3/3⌋ = 1: run 4 (0.2) goes on from
  // rung 1, which comes before rung 0.
  rung0.back().promoted = true;
  rung1.push_back({7, 0.25});
  p = torchsweep::next_promotion(es, {rung0, rung1});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->run_id, 4);
  EXPECT_EQ(p->rung, 1);
  EXPECT_EQ(p->threshold, 0.2);
  EXPECT_EQ(p->reached, 3);
  EXPECT_EQ(p->top, 1);
}

TEST(EarlyStoppingPromotion, FollowsTheGoalAndNeverPromotesARunWithoutANumber) {
  auto es = rule(EarlyStopping::Rule::Asha, 1, 3, 27);
  es.goal = Goal::Maximize;
  const std::vector<RungValue> rung = {{1, 0.5}, {2, 0.3}, {3, 0.9}};
  EXPECT_EQ(torchsweep::next_promotion(es, {rung})->run_id, 3);
  EXPECT_EQ(torchsweep::rung_cutoff(es, rung), 0.9);
  EXPECT_FALSE(torchsweep::next_promotion(es, {{{1, kNaN}, {2, kNaN}, {3, kNaN}}}));
  // Ties go to the lower run id whatever the order given.
  es.goal = Goal::Minimize;
  EXPECT_EQ(torchsweep::next_promotion(es, {{{9, 0.3}, {4, 0.3}, {5, 0.8}}})->run_id, 4);
  // ⌊33/2.2⌋ = 15, though 33/2.2 is 14.999999999999998 in doubles.
  es.eta = 2.2;
  EXPECT_EQ(torchsweep::top_count(es, 33), 15);
}

TEST(EarlyStoppingPromotion, ARunsVerdictAtARungSaysWhereItStands) {
  const auto es = rule(EarlyStopping::Rule::Asha, 1, 3, 27);
  // The 6 runs of rung 0 (epoch 1): the top ⌊6/3⌋ = 2 are runs 2 and 4 (0.3 each).
  const std::vector<RungValue> rung0 = {{1, 0.5}, {2, 0.3}, {3, 0.9}, {4, 0.3}, {5, kNaN}, {6, 0.7}};
  auto v = torchsweep::rung_verdict(es, 0, 0, rung0, 1);
  EXPECT_TRUE(v.stop);
  EXPECT_EQ(v.value, 0.5);
  EXPECT_EQ(v.threshold, 0.3);
  EXPECT_EQ(v.reason,
            "stopped by asha at epoch 1 (rung 0): test/loss 0.5 is not among the top 2 of the 6 runs there (cutoff 0.3)");
  EXPECT_EQ(v.seen["values"].size(), 6u);
  EXPECT_EQ(v.seen["values"][0]["run_id"], 2);  // best first
  EXPECT_FALSE(torchsweep::rung_verdict(es, 0, 0, rung0, 4).stop);
  EXPECT_TRUE(torchsweep::rung_verdict(es, 0, 0, rung0, 5).stop);
  // Hyperband's bracket 1 starts at 3 epochs.
  const auto hb = rule(EarlyStopping::Rule::Hyperband, 1, 3, 27);
  v = torchsweep::rung_verdict(hb, 1, 0, rung0, 6);
  EXPECT_EQ(v.reason.rfind("stopped by hyperband at epoch 3 (rung 0 of bracket 1): test/loss 0.7", 0), 0u) << v.reason;
}

// --- median: Optuna's MedianPruner --------------------------------------------------------

EarlyStopping median(int64_t startup = 3, int64_t warmup = 0, int64_t interval = 1) {
  EarlyStopping es;
  es.rule = EarlyStopping::Rule::Median;
  es.metric = "test/loss";
  es.startup_runs = startup;
  es.warmup = warmup;
  es.interval = interval;
  return es;
}

// Four finished runs (values in binary fractions, so that medians are exact):
//   epoch:   1      2      3
//   A       1.0    0.75   0.5
//   B       0.875  0.625  0.375
//   C       1.25   1.0    -       (finished at epoch 2)
//   D       NaN    0.25   0.125
// Medians as numpy's nanpercentile(50) gives them (NaN left out, linear interpolation):
//   epoch 1: {0.875, 1.0, 1.25} → 1.0;  epoch 2: {0.25, 0.625, 0.75, 1.0} → 0.6875;
//   epoch 3: {0.125, 0.375, 0.5} → 0.375.
const std::vector<History> kFinished = {
    {{1, 1.0}, {2, 0.75}, {3, 0.5}},
    {{1, 0.875}, {2, 0.625}, {3, 0.375}},
    {{1, 1.25}, {2, 1.0}},
    {{1, kNaN}, {2, 0.25}, {3, 0.125}},
};

TEST(EarlyStoppingMedian, StopsARunWhoseBestIsWorseThanTheFinishedRunsMedianAtItsStep) {
  const auto es = median();
  // 1.125 at epoch 1 > 1.0: stopped.
  auto v = torchsweep::judge_median(es, {{1, 1.125}}, kFinished);
  EXPECT_TRUE(v.judged);
  EXPECT_TRUE(v.stop);
  EXPECT_EQ(v.value, 1.125);
  EXPECT_EQ(v.threshold, 1.0);
  EXPECT_EQ(v.seen["values"].size(), 4u);
  EXPECT_TRUE(v.seen["values"][3].is_null());
  // Equal to the median (0.6875) is not worse: it goes on.
  v = torchsweep::judge_median(es, {{1, 1.125}, {2, 0.6875}}, kFinished);
  EXPECT_TRUE(v.judged);
  EXPECT_FALSE(v.stop);
  EXPECT_EQ(v.threshold, 0.6875);
  EXPECT_TRUE(torchsweep::judge_median(es, {{1, 1.5}, {2, 0.71875}}, kFinished).stop);
  // The best so far is judged, not the latest value: 0.5 at epoch 1 beats 0.6875.
  EXPECT_FALSE(torchsweep::judge_median(es, {{1, 0.5}, {2, 0.9}}, kFinished).stop);
  // Epoch 3: C has no value there; the median of three is 0.375, and 0.4375 is worse.
  v = torchsweep::judge_median(es, {{1, 1.5}, {2, 1.0}, {3, 0.4375}}, kFinished);
  EXPECT_TRUE(v.stop);
  EXPECT_EQ(v.threshold, 0.375);
  EXPECT_EQ(v.reason,
            "stopped by median at epoch 3: best test/loss 0.4375 is worse than the median 0.375 of 3 finished runs");
  // Maximize: the median of epoch 1 is still 1.0, and 0.9375 is below it.
  auto up = es;
  up.goal = Goal::Maximize;
  EXPECT_TRUE(torchsweep::judge_median(up, {{1, 0.9375}}, kFinished).stop);
  EXPECT_FALSE(torchsweep::judge_median(up, {{1, 1.0625}}, kFinished).stop);
  // A run with no number at all is stopped (Optuna prunes a NaN best).
  v = torchsweep::judge_median(es, {{1, kNaN}}, kFinished);
  EXPECT_TRUE(v.stop);
  EXPECT_NE(v.reason.find("no value that is a number"), std::string::npos);
}

TEST(EarlyStoppingMedian, JudgesNothingBeforeStartupWarmupOrBetweenIntervals) {
  // Fewer finished runs than startup_runs (3 of 5; none at all).
  EXPECT_FALSE(torchsweep::judge_median(median(5), {{1, 9.0}}, kFinished).judged);
  EXPECT_FALSE(torchsweep::judge_median(median(0), {{1, 9.0}}, {}).judged);
  // Before warmup: epoch 1 < 2; at epoch 2 it is judged.
  EXPECT_FALSE(torchsweep::judge_median(median(3, 2), {{1, 9.0}}, kFinished).judged);
  EXPECT_TRUE(torchsweep::judge_median(median(3, 2), {{1, 9.0}, {2, 9.0}}, kFinished).stop);
  // Interval 2 from warmup 0: the intervals start at 0, 2, 4; a point is judged when the
  // point before it lies in an earlier interval: epochs 1 (before: none), 2 (before: 1 <
  // 2), not 3 (before: 2, same interval), but 3 after 1 (2 was not logged).
  const auto es = median(3, 0, 2);
  EXPECT_TRUE(torchsweep::judge_median(es, {{1, 9.0}}, kFinished).judged);
  EXPECT_TRUE(torchsweep::judge_median(es, {{1, 9.0}, {2, 9.0}}, kFinished).judged);
  EXPECT_FALSE(torchsweep::judge_median(es, {{1, 9.0}, {2, 9.0}, {3, 9.0}}, kFinished).judged);
  EXPECT_TRUE(torchsweep::judge_median(es, {{1, 9.0}, {3, 9.0}}, kFinished).judged);
  // No finished run has a value at epoch 4: nothing to compare with.
  EXPECT_FALSE(torchsweep::judge_median(median(), {{4, 9.0}}, kFinished).judged);
}

// --- patience: Optuna's PatientPruner(None, patience, min_delta) -------------------------

History points(const std::vector<double>& values) {
  History h;
  for (size_t i = 0; i < values.size(); ++i) h.emplace_back(static_cast<int64_t>(i + 1), values[i]);
  return h;
}

EarlyStopping patience(int64_t p, double delta = 0.0, Goal goal = Goal::Minimize) {
  EarlyStopping es;
  es.rule = EarlyStopping::Rule::Patience;
  es.metric = "test/loss";
  es.patience = p;
  es.min_delta = delta;
  es.goal = goal;
  return es;
}

TEST(EarlyStoppingPatience, StopsWhenTheLastPatiencePlusOnePointsAreWorseThanTheBestBefore) {
  // patience 2: the window is the last 3 points; judged from 4 points on.
  EXPECT_FALSE(torchsweep::judge_patience(patience(2), points({1.0, 2.0, 3.0})).judged);
  // past {1.0}, window {0.5, 0.6, 0.7}: min 0.5 is not worse than 1.0.
  auto v = torchsweep::judge_patience(patience(2), points({1.0, 0.5, 0.625, 0.75}));
  EXPECT_TRUE(v.judged);
  EXPECT_FALSE(v.stop);
  // past {1.0, 0.5}, window {0.625, 0.75, 0.875}: 0.5 + 0 < 0.625: stopped.
  v = torchsweep::judge_patience(patience(2), points({1.0, 0.5, 0.625, 0.75, 0.875}));
  EXPECT_TRUE(v.stop);
  EXPECT_EQ(v.value, 0.625);
  EXPECT_EQ(v.threshold, 0.5);
  // Equal is not worse.
  EXPECT_FALSE(torchsweep::judge_patience(patience(2), points({0.5, 0.5, 0.5, 0.5})).stop);
  // min_delta 0.125: 0.5 + 0.125 = 0.625 < 0.5625? no; < 0.75? yes.
  EXPECT_FALSE(torchsweep::judge_patience(patience(2, 0.125), points({1.0, 0.5, 0.5625, 0.625, 0.6})).stop);
  EXPECT_TRUE(torchsweep::judge_patience(patience(2, 0.125), points({1.0, 0.5, 0.75, 0.875, 0.8125})).stop);
  // Maximize: past max 0.9, window max 0.8; 0.9 − 0 > 0.8: stopped.
  EXPECT_TRUE(torchsweep::judge_patience(patience(2, 0.0, Goal::Maximize), points({0.5, 0.9, 0.8, 0.7, 0.6})).stop);
  // A past of NaN alone stops nothing (numpy's nanmin of it is NaN, and NaN < x is false).
  EXPECT_FALSE(torchsweep::judge_patience(patience(1), points({kNaN, kNaN, 0.5, 0.6})).stop);
  // patience 0: the window is the last point alone.
  EXPECT_TRUE(torchsweep::judge_patience(patience(0), points({0.5, 0.75})).stop);
}

// --- W&B's hyperband (wandb/sweeps, src/sweeps/hyperband_stopping.py) ---------------------

TEST(EarlyStoppingWandbHyperband, BandsAreWandbsOwn) {
  using V = std::vector<int64_t>;
  // max_iter / eta^i for i = 1..s, truncated: 81/3 = 27, 9, 3 → ascending.
  EXPECT_EQ(torchsweep::wandb_bands(0, 81, 3, 3), (V{3, 9, 27}));
  EXPECT_EQ(torchsweep::wandb_bands(0, 18, 2, 3), (V{2, 6}));
  EXPECT_EQ(torchsweep::wandb_bands(0, 5, 2, 2), (V{1, 2}));       // 2.5 → 2, 1.25 → 1
  EXPECT_EQ(torchsweep::wandb_bands(0, 10, 5, 3), (V{1, 3}));      // 3.33, 1.11, then 0.37 < 1 ends it
  EXPECT_EQ(torchsweep::wandb_bands(0, 2, 3, 3), (V{}));           // 0.67 < 1: no band
  // min_iter · eta^i: 3, 9, 27, ...
  const auto bands = torchsweep::wandb_bands(3, 0, 0, 3);
  ASSERT_GE(bands.size(), 3u);
  EXPECT_EQ((V{bands[0], bands[1], bands[2]}), (V{3, 9, 27}));
  EXPECT_TRUE(std::is_sorted(bands.begin(), bands.end()));
  EXPECT_EQ(torchsweep::wandb_bands(2, 0, 0, 1.5)[3], 6);  // 2, 3, 4.5 → 4, 6.75 → 6
}

EarlyStopping wandb(bool strict, Goal goal = Goal::Minimize) {
  EarlyStopping es;
  es.rule = EarlyStopping::Rule::WandbHyperband;
  es.metric = "loss";
  es.goal = goal;
  es.eta = 2;
  es.min_iter = 2;
  es.bands = torchsweep::wandb_bands(2, 0, 0, 2);  // 2, 4, 8, ...
  es.strict = strict;
  return es;
}

// Seven runs of one sweep, the metric's logged values in order (W&B counts values, and
// drops the non-finite ones: R4's NaN is not a value, so its 4 values are 5, 2.75, 2.5,
// 2.25). min_iter 2, eta 2: bands 2, 4, 8, ...; r = 1/2.
//   R1 finished   4.0  3.0  2.0  1.0  0.5
//   R2 running    4.0  3.5  3.25 3.0
//   R3 running    4.0  2.5  3.0
//   R4 running    5.0  NaN  2.75 2.5  2.25
//   R5 stopped    6.0  5.0
//   R6 running    3.0
//   R7 running    2.0  4.0  4.5
// Band 2's threshold: the 2nd values of the runs with >= 2 values (all but R6):
//   sorted [2.5 (R3), 2.75 (R4), 3.0 (R1), 3.5 (R2), 4.0 (R7), 5.0 (R5)], n = 6,
//   index int(0.5 · 6) = 3 → 3.5.
// Band 4's threshold: the 4th values of R1, R2, R4: sorted [1.0, 2.25, 3.0], n = 3,
//   index int(0.5 · 3) = 1 → 2.25.
// The running runs, each at the largest band it has reached:
//   R2 (4 values, band 4): strict 3.0 > 2.25 stop; best 3.0 > 2.25 stop.
//   R3 (3 values, band 2): strict 2.5 <= 3.5;      best 2.5 <= 3.5.
//   R4 (4 values, band 4): strict 2.25 <= 2.25;    best 2.25 <= 2.25.
//   R6 (1 value): no band yet.
//   R7 (3 values, band 2): strict 4.0 > 3.5 stop;  best 2.0 <= 3.5.
// W&B stops R2 and R7 (strict, its default), or R2 alone (strict: false).
const std::vector<std::vector<double>> kWandbRuns = {
    {4.0, 3.0, 2.0, 1.0, 0.5}, {4.0, 3.5, 3.25, 3.0}, {4.0, 2.5, 3.0}, {5.0, kNaN, 2.75, 2.5, 2.25},
    {6.0, 5.0},                {3.0},                 {2.0, 4.0, 4.5},
};

/// Which running runs (1-based, as R1..R7) the rule stops, each judged against all the others.
std::vector<int> stopped(const EarlyStopping& es, double sign) {
  std::vector<History> histories;
  for (const auto& values : kWandbRuns) {
    std::vector<double> signed_values;
    for (const double v : values) signed_values.push_back(sign * v);
    histories.push_back(points(signed_values));
  }
  std::vector<int> out;
  for (const int r : {2, 3, 4, 6, 7}) {  // the running ones
    std::vector<History> others;
    for (size_t i = 0; i < histories.size(); ++i)
      if (static_cast<int>(i) + 1 != r) others.push_back(histories[i]);
    const auto v = torchsweep::judge_wandb_hyperband(es, histories[static_cast<size_t>(r - 1)], others);
    EXPECT_EQ(v.judged, r != 6) << "R" << r;
    if (v.stop) out.push_back(r);
  }
  return out;
}

TEST(EarlyStoppingWandbHyperband, StopsTheRunsWandbWouldStop) {
  EXPECT_EQ(stopped(wandb(true), 1.0), (std::vector<int>{2, 7}));
  EXPECT_EQ(stopped(wandb(false), 1.0), (std::vector<int>{2}));
  // Maximize: W&B negates the values, so the same table negated stops the same runs.
  EXPECT_EQ(stopped(wandb(true, Goal::Maximize), -1.0), (std::vector<int>{2, 7}));
  EXPECT_EQ(stopped(wandb(false, Goal::Maximize), -1.0), (std::vector<int>{2}));
  // R2's verdict: its 4th value against band 4's threshold.
  std::vector<History> others;
  for (size_t i = 0; i < kWandbRuns.size(); ++i)
    if (i != 1) others.push_back(points(kWandbRuns[i]));
  const auto v = torchsweep::judge_wandb_hyperband(wandb(true), points(kWandbRuns[1]), others);
  EXPECT_EQ(v.value, 3.0);
  EXPECT_EQ(v.threshold, 2.25);
  EXPECT_EQ(v.seen["band"], 4);
}

TEST(EarlyStoppingWandbHyperband, WandbsOwnExampleStopsRunB) {
  // hyperband_stopping.py's docstring: max_iter 5, eta 2, s 2 → bands [1, 2]; runs
  // a (finished) 10, 9; b 10, 10; c 10, 8, 8; d 10, 7, 7; e (finished) 10, 6, 6.
  // Band 1: all five 1st values are 10 → 10. Band 2: [6, 7, 8, 9, 10][int(0.5 · 5) = 2] = 8.
  // b: 10 > 8 stop; c: 8 is not > 8; d: 7.
  EarlyStopping es = wandb(true);
  es.bands = torchsweep::wandb_bands(0, 5, 2, 2);
  const std::vector<History> runs = {points({10, 9}), points({10, 10}), points({10, 8, 8}), points({10, 7, 7}),
                                     points({10, 6, 6})};
  auto judge = [&](size_t i) {
    std::vector<History> others;
    for (size_t j = 0; j < runs.size(); ++j)
      if (j != i) others.push_back(runs[j]);
    return torchsweep::judge_wandb_hyperband(es, runs[i], others);
  };
  EXPECT_TRUE(judge(1).stop);
  EXPECT_EQ(judge(1).threshold, 8);
  EXPECT_FALSE(judge(2).stop);
  EXPECT_FALSE(judge(3).stop);
}

// --- the spec section ---------------------------------------------------------------------

const std::string kEpochs =
    "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {epochs: 3}\n"
    "optimizer: {name: sgd, lr: [0.1, 0.2, 0.5]}\n";

torchsweep::SweepPlan plan_of(const std::string& text) {
  TempDir dir;
  return torchsweep::load_sweep(dir.write("s.yaml", text), {});
}

TEST(EarlyStoppingSpec, ParsesWithDefaultsFromTheBudget) {
  auto plan = plan_of(kEpochs + "sweep:\n  early_stop: {rule: asha, metric: test/loss}\n");
  const auto& es = plan.early_stop;
  EXPECT_EQ(es.rule, EarlyStopping::Rule::Asha);
  EXPECT_EQ(es.metric, "test/loss");
  EXPECT_EQ(es.goal, Goal::Minimize);
  EXPECT_EQ(es.axis, MetricAxis::Epoch);
  EXPECT_EQ(es.min_resource, 1);
  EXPECT_EQ(es.eta, 3);
  EXPECT_EQ(es.max_resource, 3);  // train.epochs
  EXPECT_EQ(es.brackets, 1);
  // What is recorded reads back the same.
  const auto back = EarlyStopping::from_json(es.to_json());
  EXPECT_EQ(back.to_json(), es.to_json());
  EXPECT_EQ(back.max_resource, 3);
  // Under a step budget the axis is steps, and max_resource is train.steps.
  plan = plan_of("name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 20}\n"
                 "optimizer: {name: sgd, lr: [0.1, 0.2]}\n"
                 "sweep:\n  early_stop: {rule: hyperband, metric: train/loss, min_resource: 2, eta: 2}\n");
  EXPECT_EQ(plan.early_stop.axis, MetricAxis::Step);
  EXPECT_EQ(plan.early_stop.max_resource, 20);
  EXPECT_EQ(plan.early_stop.brackets, 4);  // 2·2^3 = 16 <= 20
  plan = plan_of(kEpochs + "sweep:\n  early_stop: {rule: median, metric: test/acc, goal: maximize, warmup: 1}\n");
  EXPECT_EQ(plan.early_stop.rule, EarlyStopping::Rule::Median);
  EXPECT_EQ(plan.early_stop.goal, Goal::Maximize);
  EXPECT_EQ(plan.early_stop.warmup, 1);
  EXPECT_EQ(plan.early_stop.startup_runs, 5);
  EXPECT_EQ(EarlyStopping::from_json(plan.early_stop.to_json()).warmup, 1);
  plan = plan_of(kEpochs + "sweep:\n  early_stop: {rule: wandb_hyperband, metric: test/loss, max_iter: 27, s: 2}\n");
  EXPECT_EQ(plan.early_stop.bands, (std::vector<int64_t>{3, 9}));
  EXPECT_TRUE(plan.early_stop.strict);  // W&B's default
  // A sweep without the section stops nothing.
  EXPECT_FALSE(plan_of(kEpochs).early_stop.enabled());
}

TEST(EarlyStoppingSpec, ErrorsNameThePositionAndTheKey) {
  // Each problem at its value or key, all at once.
  const std::string bad = kEpochs +
                          "sweep:\n"
                          "  early_stop:\n"
                          "    rule: asha\n"
                          "    metric: test/loss\n"
                          "    eta: 1\n"
                          "    brakets: 2\n";
  try {
    plan_of(bad);
    FAIL() << "expected errors";
  } catch (const SpecErrors& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s.yaml:11:10: sweep.early_stop.eta: expected a finite number > 1, got 1"), std::string::npos)
        << what;
    EXPECT_NE(what.find("s.yaml:12:5: sweep.early_stop.brakets: unknown key, did you mean 'sweep.early_stop.brackets'?"),
              std::string::npos)
        << what;
  }
  const std::string head = kEpochs + "sweep:\n  early_stop:\n";
  ASSERT_THROWS_WITH(plan_of(head + "    rule: median\n    metric: test/loss\n    patience: 2\n"), SpecError,
                     "s.yaml:11:5: sweep.early_stop.patience: only applies to rule patience, got rule median");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: ashaa\n    metric: test/loss\n"), SpecError,
                     "s.yaml:9:11: sweep.early_stop.rule: expected one of asha, hyperband, median, patience, "
                     "wandb_hyperband, got \"ashaa\" (did you mean 'asha'?)");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: asha\n"), SpecError, "sweep.early_stop.metric: missing required key");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: asha\n    metric: test/loss\n    max_resource: 9\n"), SpecError,
                     "s.yaml:11:19: sweep.early_stop.max_resource: expected at most the runs' budget (3 epochs), got 9");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: asha\n    metric: test/loss\n    axis: step\n"), SpecError,
                     "sweep.early_stop.max_resource: missing, and the runs' budget in steps is not known from the "
                     "spec (train.epochs counts epochs)");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: asha\n    metric: test/loss\n    min_resource: 3\n"), SpecError,
                     "s.yaml:11:19: sweep.early_stop.min_resource: expected min_resource (3) below max_resource (3)");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: hyperband\n    metric: test/loss\n    brackets: 3\n"), SpecError,
                     "s.yaml:11:15: sweep.early_stop.brackets: expected at most 2");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: patience\n    metric: test/acc\n"), SpecError,
                     "s.yaml:10:13: sweep.early_stop.goal: missing, and test/acc reads as an accuracy");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: wandb_hyperband\n    metric: test/loss\n    max_iter: 27\n"), SpecError,
                     "s.yaml:11:15: sweep.early_stop.s: missing beside max_iter");
  ASSERT_THROWS_WITH(plan_of(head + "    rule: wandb_hyperband\n    metric: test/loss\n    max_iter: 2\n    s: 3\n"),
                     SpecError, "s.yaml:11:15: sweep.early_stop.max_iter: max_iter / eta = 0.666667 is below 1");
  ASSERT_THROWS_WITH(plan_of(kEpochs + "sweep:\n  early_stop: asha\n"), SpecError,
                     "s.yaml:8:15: sweep.early_stop: expected a mapping");
  ASSERT_THROWS_WITH(plan_of(kEpochs + "sweep:\n  early_stp: {rule: asha}\n"), SpecError,
                     "s.yaml:8:3: sweep.early_stp: unknown key, did you mean 'sweep.early_stop'?");
}

}  // namespace
