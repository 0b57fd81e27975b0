// MetricSummary against the SQL it stands in for: the same points are written to a
// real table and summarised by summary_select_sql(), and every column must agree.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "results/metric_summary.h"
#include "results/schema.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::MetricPoint;
using torchsweep::MetricSummary;
using torchsweep::Store;
using torchsweep::testing::TempDir;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  std::string name;
  std::vector<std::pair<int64_t, double>> points;
};

void expect_same_real(double computed, torchsweep::Statement& sql, int column, const std::string& what) {
  if (sql.is_null(column)) {
    EXPECT_TRUE(std::isnan(computed)) << what << ": SQL has NULL, computed " << computed;
  } else if (std::isinf(sql.get_double(column))) {
    EXPECT_EQ(computed, sql.get_double(column)) << what;
  } else {
    // avg() may sum in another way in a newer SQLite: agree to rounding.
    EXPECT_NEAR(computed, sql.get_double(column), 1e-12 * std::max(1.0, std::fabs(sql.get_double(column)))) << what;
  }
}

void expect_same_step(std::optional<int64_t> computed, torchsweep::Statement& sql, int column, const std::string& what) {
  if (sql.is_null(column)) {
    EXPECT_FALSE(computed.has_value()) << what << ": SQL has NULL, computed " << *computed;
  } else {
    ASSERT_TRUE(computed.has_value()) << what << ": SQL has " << sql.get_int(column);
    EXPECT_EQ(*computed, sql.get_int(column)) << what;
  }
}

TEST(MetricSummaryTest, AgreesWithTheSqlSummaryOfTheSamePoints) {
  std::mt19937_64 random(7);
  std::normal_distribution<double> normal(1.0, 0.5);
  std::vector<Case> cases = {
      {"one point", {{0, 2.0}}},
      {"falling", {{0, 2.0}, {1, 1.5}, {2, 1.0}, {3, 0.9}}},
      {"ties keep the earliest step", {{0, 1.0}, {1, 0.5}, {2, 3.0}, {3, 0.5}, {4, 3.0}}},
      {"NaN first", {{0, kNaN}, {1, 1.0}, {2, 0.25}}},
      {"NaN last", {{0, 1.0}, {1, 0.25}, {2, kNaN}}},
      {"only NaN", {{0, kNaN}, {5, kNaN}}},
      {"infinities", {{0, 1.0}, {1, kInf}, {2, -kInf}, {3, 0.5}}},
      {"infinite first", {{0, kInf}, {1, 3.0}}},
      {"negative first", {{0, -1.0}, {1, -2.0}, {2, -0.25}}},
      {"zero first", {{0, 0.0}, {1, 1.0}}},
      {"sparse steps", {{10, 4.0}, {20, 3.0}, {300, 1.0}, {4000, 2.5}}},
  };
  Case noisy{"500 noisy points with NaNs", {}};
  for (int64_t s = 0; s < 500; ++s) noisy.points.push_back({s * 3, s % 97 == 13 ? kNaN : normal(random)});
  cases.push_back(noisy);
  Case fewer{"fewer points than k", {{0, 3.0}, {1, kNaN}, {2, 1.0}}};
  cases.push_back(fewer);

  TempDir dir;
  auto store = Store::open(dir.file("results.db"));
  std::vector<torchsweep::NewRun> runs;
  for (size_t i = 0; i < cases.size(); ++i) runs.push_back(make_run(static_cast<int64_t>(i), 0.1, 1));
  const auto ids = store->create_sweep(make_sweep("s"), runs).second;
  auto select = store->db().prepare(torchsweep::summary_select_sql());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    MetricSummary summary(torchsweep::kSummaryLastK);
    std::vector<MetricPoint> points;
    for (const auto& [step, value] : cases[i].points) {
      summary.add(step, value);
      points.push_back({"m", step, value});
    }
    EXPECT_TRUE(summary.exact());
    store->append_metrics(ids[i], points, {"m"});
    select.bind(1, ids[i]).bind(2, static_cast<int64_t>(torchsweep::kSummaryLastK)).bind(3, std::string("m"));
    ASSERT_TRUE(select.step());
    // Columns: run_id, key, count, first, last, min, max, step_min, step_max, last_step,
    // last_k, mean_last_k, step_half.
    EXPECT_EQ(summary.count(), select.get_int(2));
    expect_same_real(summary.first(), select, 3, "first");
    expect_same_real(summary.last(), select, 4, "last");
    expect_same_real(summary.min(), select, 5, "min");
    expect_same_real(summary.max(), select, 6, "max");
    expect_same_step(summary.step_min(), select, 7, "step_min");
    expect_same_step(summary.step_max(), select, 8, "step_max");
    EXPECT_EQ(summary.last_step(), select.get_int(9));
    EXPECT_EQ(summary.last_k(), select.get_int(10));
    expect_same_real(summary.mean_last_k(), select, 11, "mean_last_k");
    expect_same_step(summary.step_half(), select, 12, "step_half");
    select.reset();
  }
}

TEST(MetricSummaryTest, AStepThatDoesNotIncreaseMakesItInexact) {
  MetricSummary summary(3);
  summary.add(0, 1.0);
  summary.add(1, 0.5);
  EXPECT_TRUE(summary.exact());
  summary.add(1, 0.25);  // the same step again replaces a stored point
  EXPECT_FALSE(summary.exact());
  MetricSummary backwards(3);
  backwards.add(5, 1.0);
  backwards.add(4, 1.0);
  EXPECT_FALSE(backwards.exact());
}

TEST(MetricSummaryTest, TheMeanOfTheLastKIsThatOfTheNewestKValues) {
  MetricSummary summary(3);
  for (int64_t s = 0; s < 10; ++s) summary.add(s, static_cast<double>(s));
  EXPECT_DOUBLE_EQ(summary.mean_last_k(), (9.0 + 8.0 + 7.0) / 3.0);
  MetricSummary with_nan(3);
  with_nan.add(0, 4.0);
  with_nan.add(1, 2.0);
  with_nan.add(2, kNaN);
  EXPECT_DOUBLE_EQ(with_nan.mean_last_k(), 3.0);  // NULL is left out of the mean
}

}  // namespace
