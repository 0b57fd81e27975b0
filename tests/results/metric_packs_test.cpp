// Packed curves against the rows they copy: what a run's end writes, when a pack is
// dropped or ignored, and that curves read the same with packs and without. Expected
// points are the ones the test wrote; the layout is checked byte by byte in SQL.
#include "results/metric_packs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "results/curves.h"
#include "results/schema.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

using testing::make_run;
using testing::make_sweep;
using testing::metric_rows;
using testing::scalar_int;
using testing::scalar_text;
using testing::TempDir;

/// A run with three metrics: every step (regular), every 10th step (regular, stride
/// 10) and steps with gaps (irregular), one of its values NaN.
struct PackedRun : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store = Store::open(dir.file("packs.db"));
  int64_t run = store->create_sweep(make_sweep("packs"), {make_run(0, 0.1, 1)}).second.at(0);

  void log_points(int64_t from, int64_t to) {
    std::vector<MetricPoint> points;
    for (int64_t step = from; step < to; ++step) {
      points.push_back({"train/loss", step, 1.0 / (1.0 + step)});
      if (step % 10 == 9) points.push_back({"val/acc", step, 0.5 + step / 1000.0});
    }
    std::vector<MetricKey> keys;
    if (from == 0) {
      keys = {{"train/loss", MetricAxis::Step}, {"val/acc", MetricAxis::Step}, {"grad/norm", MetricAxis::Step}};
      for (const int64_t step : {0, 1, 5, 6, 40})
        points.push_back({"grad/norm", step, step == 5 ? std::numeric_limits<double>::quiet_NaN() : step * 0.25});
    }
    store->append_metrics(run, points, keys);
  }

  /// The run's points of `key` as the rows hold them (NaN for NULL).
  std::pair<std::vector<int64_t>, std::vector<double>> rows_of(const std::string& key) {
    std::pair<std::vector<int64_t>, std::vector<double>> out;
    for (const auto& p : metric_rows(store->db(), run))
      if (p.key == key) {
        out.first.push_back(p.step);
        out.second.push_back(p.null ? std::nan("") : p.value);
      }
    return out;
  }

  void expect_pack_equals_rows(const std::string& key) {
    PackReader reader(store->db());
    std::vector<int64_t> steps;
    std::vector<double> values;
    ASSERT_TRUE(reader.read(run, key, steps, values)) << key;
    const auto [row_steps, row_values] = rows_of(key);
    EXPECT_EQ(steps, row_steps) << key;
    ASSERT_EQ(values.size(), row_values.size()) << key;
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(row_values[i]))
        EXPECT_TRUE(std::isnan(values[i])) << key << " at " << steps[i];
      else
        EXPECT_EQ(values[i], row_values[i]) << key << " at " << steps[i];  // bit for bit: a copy
    }
  }
};

TEST_F(PackedRun, AnEndedRunsPacksEqualItsRows) {
  log_points(0, 100);
  store->end_run(run, RunStatus::Finished, "", 100, 1.0);
  Database& db = store->db();
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM metric_packs WHERE run_id = ?", run), 3);
  for (const char* key : {"train/loss", "val/acc", "grad/norm"}) expect_pack_equals_rows(key);
  // Regular steps are a stride, not a list; the gaps of grad/norm are listed.
  EXPECT_EQ(scalar_text(db, "SELECT group_concat(key || ' ' || count || ' ' || first_step || ' ' || last_step || ' ' || "
                            "coalesce(step_stride, 'listed') || ' ' || (steps IS NULL), '; ') FROM "
                            "(SELECT * FROM metric_packs ORDER BY key)"),
            "grad/norm 5 0 40 listed 0; train/loss 100 0 99 1 1; val/acc 10 9 99 10 1");
  // The documented layout: little-endian float64 values, int64 steps.
  double third = 1.0 / 3.0;  // train/loss at step 2
  unsigned char bytes[8];
  std::memcpy(bytes, &third, 8);
  std::string hex;
  for (unsigned char b : bytes) hex += "0123456789ABCDEF"[b >> 4], hex += "0123456789ABCDEF"[b & 15];
  EXPECT_EQ(scalar_text(db, "SELECT hex(substr(vals, 17, 8)) FROM metric_packs WHERE key = 'train/loss'"), hex);
  EXPECT_EQ(scalar_text(db, "SELECT hex(substr(steps, 33, 8)) FROM metric_packs WHERE key = 'grad/norm'"),
            "2800000000000000");  // 40
  EXPECT_EQ(scalar_int(db, "SELECT length(vals) FROM metric_packs WHERE key = 'val/acc'"), 10 * 8);
}

TEST_F(PackedRun, ARunThatRunsAgainLosesItsPacksUntilItEndsAgain) {
  log_points(0, 50);
  store->end_run(run, RunStatus::Interrupted, "", 50, 1.0);
  ASSERT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metric_packs WHERE run_id = ?", run), 3);
  store->mark_running(run, RunEnvironment{});
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM metric_packs WHERE run_id = ?", run), 0);
  log_points(50, 100);
  store->end_run(run, RunStatus::Finished, "", 100, 2.0);
  for (const char* key : {"train/loss", "val/acc", "grad/norm"}) expect_pack_equals_rows(key);
}

TEST_F(PackedRun, APackThatDisagreesWithItsSummaryIsNotRead) {
  log_points(0, 20);
  store->end_run(run, RunStatus::Finished, "", 20, 1.0);
  // A point written behind the run's back: its summary is now recomputed and the pack
  // is one short, so the rows are the curve.
  store->db().prepare("INSERT INTO metrics(run_id, key, step, value) VALUES (?, 'train/loss', 20, 0.5)").bind(1, run).run();
  summarize_run(store->db(), run);
  PackReader reader(store->db());
  std::vector<int64_t> steps;
  std::vector<double> values;
  EXPECT_FALSE(reader.read(run, "train/loss", steps, values));
  EXPECT_TRUE(steps.empty());
  const auto curves = load_curves(store->db(), RunSelection{}, "train/loss", {});
  ASSERT_EQ(curves.size(), 1u);
  EXPECT_EQ(curves[0].steps.size(), 21u);
  EXPECT_EQ(curves[0].values.back(), 0.5);
  // The other metrics' packs still agree and are read.
  EXPECT_TRUE(reader.read(run, "val/acc", steps, values));
}

TEST_F(PackedRun, CurvesReadTheSameFromPacksAndFromRows) {
  log_points(0, 100);
  store->end_run(run, RunStatus::Finished, "", 100, 1.0);
  for (const char* key : {"train/loss", "grad/norm"}) {
    const auto packed = load_curves(store->db(), RunSelection{}, key, {"optimizer.lr"});
    store->db().exec("SAVEPOINT without_packs; DELETE FROM metric_packs");
    const auto rows = load_curves(store->db(), RunSelection{}, key, {"optimizer.lr"});
    store->db().exec("ROLLBACK TO without_packs; RELEASE without_packs");
    ASSERT_EQ(packed.size(), 1u);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(packed[0].steps, rows[0].steps);
    EXPECT_EQ(packed[0].label, rows[0].label);
    ASSERT_EQ(packed[0].values.size(), rows[0].values.size());
    for (size_t i = 0; i < rows[0].values.size(); ++i)
      EXPECT_TRUE(packed[0].values[i] == rows[0].values[i] ||
                  (std::isnan(packed[0].values[i]) && std::isnan(rows[0].values[i])));
  }
}

TEST_F(PackedRun, ABlobQueriedAsAValueReadsAsItsLiteral) {
  log_points(0, 10);
  store->end_run(run, RunStatus::Finished, "", 10, 1.0);
  auto stmt = store->db().prepare("SELECT vals FROM metric_packs WHERE key = 'val/acc'");
  ASSERT_TRUE(stmt.step());
  // val/acc at step 9 is 0.509: the literal is its eight bytes, not raw bytes.
  const auto text = std::get<std::string>(stmt.get(0));
  EXPECT_EQ(text.size(), 2 + 16 + 1u);
  EXPECT_EQ(text.substr(0, 2), "x'");
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef", 2), text.size() - 1);
}

}  // namespace
}  // namespace torchsweep
