// Curves of repeated runs grouped and aggregated per step, over a small database
// written by hand through Store, and the thinning of long curves. Every expected
// value is worked out below from the numbers written in SetUp, by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "results/curve_groups.h"
#include "results/curves.h"
#include "results/run_selection.h"
#include "results/store.h"
#include "tests/results/repeated_runs.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Band;
using torchsweep::Curve;
using torchsweep::CurveGroup;
using torchsweep::Downsample;
using torchsweep::InputError;
using torchsweep::RunSelection;
using torchsweep::SqlValue;
using torchsweep::Table;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool is_null(const SqlValue& v) { return std::holds_alternative<std::nullptr_t>(v); }

/// A double cell, failing the test when the cell is not a double.
double as_double(const SqlValue& v) {
  const auto* d = std::get_if<double>(&v);
  EXPECT_NE(d, nullptr) << "cell is not a REAL";
  return d ? *d : std::nan("");
}

// The database: tests/results/repeated_runs.h, b1's loss at step 1 NaN (stored as NULL).
//
// By hand, group lr = 0.1 (a1, a2, a3):
//   step 0: 1, 2, 4   n 3  mean 7/3  min 1    max 4    sample std: deviations -4/3, -1/3, 5/3,
//                                                     squares 16/9 + 1/9 + 25/9 = 42/9, / (3 - 1) = 7/3,
//                                                     std sqrt(7/3) (the population std would be sqrt(14/9))
//   step 1: 3, 3, 3   n 3  mean 3    min 3    max 3    std 0
//   step 2: 0.5, 1.5  n 2  mean 1    min 0.5  max 1.5  std sqrt((0.25 + 0.25) / 1) = sqrt(0.5)
//   step 3: 0.25      n 1  mean 0.25 min 0.25 max 0.25 std undefined
// group lr = 0.01 (b1, b2):
//   step 0: 5, 7      n 2  mean 6    min 5    max 7    std sqrt((1 + 1) / 1) = sqrt(2)
//   step 1: 6 (b1's NaN is no value)  n 1  mean 6  min 6  max 6  std undefined
// group lr = 1 (c1): step 0: 9, step 1: 8, n 1 each.
class CurveGroupsTest : public torchsweep::testing::results::RepeatedRunsTest {
 protected:
  CurveGroupsTest() : RepeatedRunsTest(kNaN) {}

  std::vector<CurveGroup> by_lr() {
    return torchsweep::group_curves(
        torchsweep::load_curves(store->db(), RunSelection{}, "train/loss", {"optimizer.lr"}));
  }
};

std::vector<int64_t> run_ids(const CurveGroup& group) {
  std::vector<int64_t> out;
  for (const auto& c : group.runs) out.push_back(c.run_id);
  return out;
}

// ---- group_curves ----

TEST_F(CurveGroupsTest, RunsWithEqualByValuesFormOneGroupInValueOrder) {
  const auto groups = by_lr();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].label, "optimizer.lr = 0.01");
  EXPECT_EQ(groups[1].label, "optimizer.lr = 0.1");
  EXPECT_EQ(groups[2].label, "optimizer.lr = 1");
  EXPECT_EQ(run_ids(groups[0]), (std::vector<int64_t>{b1, b2}));
  EXPECT_EQ(run_ids(groups[1]), (std::vector<int64_t>{a1, a2, a3}));
  EXPECT_EQ(run_ids(groups[2]), (std::vector<int64_t>{c1}));
  EXPECT_TRUE(torchsweep::has_repeats(groups));
}

TEST_F(CurveGroupsTest, MeanMinMaxAndSampleStdPerStepOverTheRunsThatHaveIt) {
  const auto groups = by_lr();
  ASSERT_EQ(groups.size(), 3u);
  const CurveGroup& g = groups[1];  // lr = 0.1
  EXPECT_EQ(g.steps, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(g.n, (std::vector<int64_t>{3, 3, 2, 1}));
  ASSERT_EQ(g.mean.size(), 4u);
  EXPECT_DOUBLE_EQ(g.mean[0], 7.0 / 3.0);
  EXPECT_DOUBLE_EQ(g.mean[1], 3.0);
  EXPECT_DOUBLE_EQ(g.mean[2], 1.0);
  EXPECT_DOUBLE_EQ(g.mean[3], 0.25);
  EXPECT_EQ(g.min, (std::vector<double>{1.0, 3.0, 0.5, 0.25}));
  EXPECT_EQ(g.max, (std::vector<double>{4.0, 3.0, 1.5, 0.25}));
  ASSERT_EQ(g.stddev.size(), 4u);
  EXPECT_NEAR(g.stddev[0], std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_DOUBLE_EQ(g.stddev[1], 0.0);
  EXPECT_NEAR(g.stddev[2], std::sqrt(0.5), 1e-12);
  EXPECT_TRUE(std::isnan(g.stddev[3])) << "one run: no sample std";

  // The band edges.
  EXPECT_EQ(g.lower(0, Band::MinMax), 1.0);
  EXPECT_EQ(g.upper(0, Band::MinMax), 4.0);
  EXPECT_NEAR(g.lower(0, Band::Std), 7.0 / 3.0 - std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_NEAR(g.upper(0, Band::Std), 7.0 / 3.0 + std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_TRUE(std::isnan(g.lower(3, Band::Std)));
  EXPECT_TRUE(std::isnan(g.upper(3, Band::Std)));
  EXPECT_EQ(g.lower(3, Band::MinMax), 0.25);
  EXPECT_TRUE(std::isnan(g.lower(0, Band::None)));
}

TEST_F(CurveGroupsTest, NanPointsAreNotCounted) {
  const auto groups = by_lr();
  ASSERT_EQ(groups.size(), 3u);
  const CurveGroup& g = groups[0];  // lr = 0.01
  EXPECT_EQ(g.steps, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(g.n, (std::vector<int64_t>{2, 1}));
  EXPECT_DOUBLE_EQ(g.mean[0], 6.0);
  EXPECT_DOUBLE_EQ(g.mean[1], 6.0);
  EXPECT_EQ(g.min, (std::vector<double>{5.0, 6.0}));
  EXPECT_EQ(g.max, (std::vector<double>{7.0, 6.0}));
  EXPECT_NEAR(g.stddev[0], std::sqrt(2.0), 1e-12);
  EXPECT_TRUE(std::isnan(g.stddev[1]));

  // A step where no run has a value is kept, with n = 0 and no mean.
  Curve only_nan{1, "x", {0, 1}, {2.0, kNaN}};
  const auto single = torchsweep::group_curves({only_nan});
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].n, (std::vector<int64_t>{1, 0}));
  EXPECT_TRUE(std::isnan(single[0].mean[1]));
  EXPECT_TRUE(std::isnan(single[0].min[1]));
}

TEST_F(CurveGroupsTest, WithoutByEachRunIsAGroupOfOne) {
  const auto groups =
      torchsweep::group_curves(torchsweep::load_curves(store->db(), RunSelection{}, "train/loss", {}));
  ASSERT_EQ(groups.size(), 6u);
  EXPECT_FALSE(torchsweep::has_repeats(groups));
  EXPECT_EQ(groups[0].label, "run " + std::to_string(a1));
  EXPECT_EQ(groups[3].label, "run " + std::to_string(a2));
  // A group of one: its aggregate is the run itself.
  EXPECT_EQ(groups[3].steps, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(groups[3].mean, (std::vector<double>{2.0, 3.0, 1.5, 0.25}));
  EXPECT_EQ(groups[3].n, (std::vector<int64_t>{1, 1, 1, 1}));
}

// ---- groups_table ----

TEST_F(CurveGroupsTest, TableOfMeansWithoutBand) {
  const Table t = torchsweep::groups_table(by_lr(), std::nullopt);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "optimizer.lr = 0.01 mean", "optimizer.lr = 0.1 mean",
                                                 "optimizer.lr = 1 mean"}));
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_TRUE(t.rows[0][0] == SqlValue(int64_t{0}));
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][1]), 6.0);
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][2]), 7.0 / 3.0);
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][3]), 9.0);
  EXPECT_DOUBLE_EQ(as_double(t.rows[1][3]), 8.0);
  // Steps 2 and 3 only lr = 0.1 logged.
  EXPECT_TRUE(t.rows[3][0] == SqlValue(int64_t{3}));
  EXPECT_TRUE(is_null(t.rows[3][1]));
  EXPECT_DOUBLE_EQ(as_double(t.rows[3][2]), 0.25);
  EXPECT_TRUE(is_null(t.rows[3][3]));
}

TEST_F(CurveGroupsTest, TableWithMinMaxBand) {
  const Table t = torchsweep::groups_table(by_lr(), Band::MinMax);
  EXPECT_EQ(t.columns,
            (std::vector<std::string>{"step", "optimizer.lr = 0.01 mean", "optimizer.lr = 0.01 min",
                                      "optimizer.lr = 0.01 max", "optimizer.lr = 0.1 mean", "optimizer.lr = 0.1 min",
                                      "optimizer.lr = 0.1 max", "optimizer.lr = 1 mean", "optimizer.lr = 1 min",
                                      "optimizer.lr = 1 max"}));
  ASSERT_EQ(t.rows.size(), 4u);
  // Step 0: lr 0.01 {5, 7}; lr 0.1 {1, 2, 4}; lr 1 {9}.
  const std::vector<double> step0 = {6.0, 5.0, 7.0, 7.0 / 3.0, 1.0, 4.0, 9.0, 9.0, 9.0};
  for (size_t c = 0; c < step0.size(); ++c) EXPECT_DOUBLE_EQ(as_double(t.rows[0][c + 1]), step0[c]) << t.columns[c + 1];
  // Step 2: lr 0.1 {0.5, 1.5}; the others have no step 2.
  EXPECT_TRUE(is_null(t.rows[2][1]) && is_null(t.rows[2][2]) && is_null(t.rows[2][3]));
  EXPECT_DOUBLE_EQ(as_double(t.rows[2][4]), 1.0);
  EXPECT_DOUBLE_EQ(as_double(t.rows[2][5]), 0.5);
  EXPECT_DOUBLE_EQ(as_double(t.rows[2][6]), 1.5);
}

TEST_F(CurveGroupsTest, TableWithStdBand) {
  const Table t = torchsweep::groups_table(by_lr(), Band::Std);
  ASSERT_EQ(t.columns.size(), 10u);
  EXPECT_EQ(t.columns[4], "optimizer.lr = 0.1 mean");
  EXPECT_EQ(t.columns[5], "optimizer.lr = 0.1 -std");
  EXPECT_EQ(t.columns[6], "optimizer.lr = 0.1 +std");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_NEAR(as_double(t.rows[0][5]), 7.0 / 3.0 - std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_NEAR(as_double(t.rows[0][6]), 7.0 / 3.0 + std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_NEAR(as_double(t.rows[0][2]), 6.0 - std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(as_double(t.rows[0][3]), 6.0 + std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(as_double(t.rows[1][5]), 3.0);  // std 0 at step 1
  EXPECT_DOUBLE_EQ(as_double(t.rows[1][6]), 3.0);
  // One run at the step: the mean, but no std.
  EXPECT_DOUBLE_EQ(as_double(t.rows[3][4]), 0.25);
  EXPECT_TRUE(is_null(t.rows[3][5]));
  EXPECT_TRUE(is_null(t.rows[3][6]));
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][7]), 9.0);
  EXPECT_TRUE(is_null(t.rows[0][8]));
  EXPECT_TRUE(is_null(t.rows[0][9]));
}

TEST_F(CurveGroupsTest, TableWithBandNoneOrWithoutRepeatsHasOneColumnPerRun) {
  const Table none = torchsweep::groups_table(by_lr(), Band::None);
  EXPECT_EQ(none.columns,
            (std::vector<std::string>{"step", "optimizer.lr = 0.01", "optimizer.lr = 0.01", "optimizer.lr = 0.1",
                                      "optimizer.lr = 0.1", "optimizer.lr = 0.1", "optimizer.lr = 1"}));
  ASSERT_EQ(none.rows.size(), 4u);
  // Columns in group order: b1, b2, a1, a2, a3, c1.
  const std::vector<double> step0 = {5.0, 7.0, 1.0, 2.0, 4.0, 9.0};
  for (size_t c = 0; c < step0.size(); ++c) EXPECT_EQ(as_double(none.rows[0][c + 1]), step0[c]) << c;

  const auto runs = torchsweep::group_curves(torchsweep::load_curves(store->db(), RunSelection{}, "train/loss", {}));
  const Table per_run = torchsweep::groups_table(runs, std::nullopt);
  ASSERT_EQ(per_run.columns.size(), 7u);
  EXPECT_EQ(per_run.columns[1], "run " + std::to_string(a1));
  EXPECT_EQ(as_double(per_run.rows[0][1]), 1.0);
  EXPECT_EQ(as_double(per_run.rows[0][6]), 4.0);  // a3
}

// ---- thinning ----

TEST(CurveGroupsDownsampleTest, EveryKeepsEveryNthPointAndTheLast) {
  EXPECT_EQ(torchsweep::downsample_indices(10, Downsample{3, std::nullopt}), (std::vector<size_t>{0, 3, 6, 9}));
  EXPECT_EQ(torchsweep::downsample_indices(11, Downsample{3, std::nullopt}), (std::vector<size_t>{0, 3, 6, 9, 10}));
  EXPECT_EQ(torchsweep::downsample_indices(4, Downsample{1, std::nullopt}), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(torchsweep::downsample_indices(3, Downsample{10, std::nullopt}), (std::vector<size_t>{0, 2}));
  EXPECT_TRUE(torchsweep::downsample_indices(0, Downsample{}).empty());
}

TEST(CurveGroupsDownsampleTest, PointsKeepsThatManyEvenlySpacedWithFirstAndLast) {
  // 100 points to 7: positions k * 99 / 6 = 0, 16.5, 33, 49.5, 66, 82.5, 99, halves rounded up.
  EXPECT_EQ(torchsweep::downsample_indices(100, Downsample{1, 7}), (std::vector<size_t>{0, 17, 33, 50, 66, 83, 99}));
  // 101 points to 11: every tenth.
  EXPECT_EQ(torchsweep::downsample_indices(101, Downsample{1, 11}),
            (std::vector<size_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}));
  // Fewer points than asked for: all of them.
  EXPECT_EQ(torchsweep::downsample_indices(3, Downsample{1, 5}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(torchsweep::downsample_indices(1, Downsample{1, 2}), (std::vector<size_t>{0}));

  // Every size against every count: the count, the ends, and gaps within one of each other.
  for (size_t count = 1; count <= 60; ++count)
    for (int64_t points = 2; points <= 12; ++points) {
      const auto kept = torchsweep::downsample_indices(count, Downsample{1, points});
      ASSERT_EQ(kept.size(), std::min(count, static_cast<size_t>(points))) << count << " to " << points;
      EXPECT_EQ(kept.front(), 0u);
      EXPECT_EQ(kept.back(), count - 1);
      size_t smallest = count, largest = 0;
      for (size_t i = 1; i < kept.size(); ++i) {
        ASSERT_GT(kept[i], kept[i - 1]) << count << " to " << points;
        smallest = std::min(smallest, kept[i] - kept[i - 1]);
        largest = std::max(largest, kept[i] - kept[i - 1]);
      }
      if (kept.size() > 1) {
        EXPECT_LE(largest - smallest, 1u) << count << " to " << points;
      }
    }
}

TEST(CurveGroupsDownsampleTest, EveryThenPoints) {
  // Every 10th of 101 points: 0, 10, ..., 100 (11 points); then 3 of those: 0, 50, 100.
  EXPECT_EQ(torchsweep::downsample_indices(101, Downsample{10, 3}), (std::vector<size_t>{0, 50, 100}));
}

TEST_F(CurveGroupsTest, DownsampleThinsTheAggregateAndEachRun) {
  const auto groups = by_lr();
  ASSERT_EQ(groups.size(), 3u);
  const CurveGroup g = torchsweep::downsample(groups[1], Downsample{1, 2});
  EXPECT_EQ(g.label, "optimizer.lr = 0.1");
  EXPECT_EQ(g.steps, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(g.n, (std::vector<int64_t>{3, 1}));
  EXPECT_DOUBLE_EQ(g.mean[0], 7.0 / 3.0);
  EXPECT_DOUBLE_EQ(g.mean[1], 0.25);
  EXPECT_EQ(g.min, (std::vector<double>{1.0, 0.25}));
  EXPECT_EQ(g.max, (std::vector<double>{4.0, 0.25}));
  ASSERT_EQ(g.runs.size(), 3u);
  EXPECT_EQ(g.runs[0].steps, (std::vector<int64_t>{0, 2}));  // a1: steps 0..2
  EXPECT_EQ(g.runs[0].values, (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(g.runs[1].steps, (std::vector<int64_t>{0, 3}));  // a2: steps 0..3
  EXPECT_EQ(g.runs[2].steps, (std::vector<int64_t>{0, 1}));  // a3: steps 0..1
}

TEST(CurveGroupsDownsampleTest, OutOfRangeValuesAreInputErrorsNamingTheFlag) {
  ASSERT_THROWS_WITH(torchsweep::check_downsample(Downsample{0, std::nullopt}), InputError,
                     "--every: expected an integer >= 1");
  ASSERT_THROWS_WITH(torchsweep::check_downsample(Downsample{-3, std::nullopt}), InputError, "got -3");
  ASSERT_THROWS_WITH(torchsweep::check_downsample(Downsample{1, 0}), InputError, "--points: expected an integer >= 2");
  ASSERT_THROWS_WITH(torchsweep::check_downsample(Downsample{1, 0}), InputError, "got 0");
  ASSERT_THROWS_WITH(torchsweep::check_downsample(Downsample{1, 1}), InputError, "got 1");
  ASSERT_THROWS_WITH(torchsweep::downsample_indices(5, Downsample{1, 0}), InputError, "--points");
  EXPECT_NO_THROW(torchsweep::check_downsample(Downsample{1, 2}));
}

TEST(CurveGroupsBandTest, ParseBand) {
  EXPECT_EQ(torchsweep::parse_band("minmax"), Band::MinMax);
  EXPECT_EQ(torchsweep::parse_band("std"), Band::Std);
  EXPECT_EQ(torchsweep::parse_band("none"), Band::None);
  ASSERT_THROWS_WITH(torchsweep::parse_band("foo"), InputError,
                     "--band: expected minmax, std or none, got \"foo\"");
  ASSERT_THROWS_WITH(torchsweep::parse_band(""), InputError, "got \"\"");
}

}  // namespace

namespace {

/// Runs stopped early leave their group's mean where they stop: its column counts them.
TEST(CurveGroupsStoppedTest, TheMeanColumnCountsTheGroupsStoppedRuns) {
  auto curve = [](int64_t id, const std::string& label, std::vector<double> values, bool stopped) {
    Curve c;
    c.run_id = id;
    c.label = label;
    for (size_t i = 0; i < values.size(); ++i) c.steps.push_back(static_cast<int64_t>(i));
    c.values = std::move(values);
    c.stopped = stopped;
    return c;
  };
  const auto groups = torchsweep::group_curves({curve(1, "lr = 0.1", {2.0, 1.0, 0.5}, false),
                                                curve(2, "lr = 0.1", {3.0}, true),
                                                curve(3, "lr = 1", {4.0, 2.0, 1.0}, false),
                                                curve(4, "lr = 1", {5.0, 3.0, 2.0}, false)});
  const Table t = torchsweep::groups_table(groups, Band::MinMax);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "lr = 0.1 mean (1 of 2 stopped)", "lr = 0.1 min",
                                                 "lr = 0.1 max", "lr = 1 mean", "lr = 1 min", "lr = 1 max"}));
  // Step 1: run 2 has stopped, so the mean is run 1's alone.
  EXPECT_EQ(t.rows[1][1], SqlValue(1.0));
  EXPECT_EQ(t.rows[0][1], SqlValue(2.5));
  // Thinned, a curve stays stopped.
  EXPECT_TRUE(torchsweep::downsample(groups[0], Downsample{2, std::nullopt}).runs[1].stopped);
}

}  // namespace
