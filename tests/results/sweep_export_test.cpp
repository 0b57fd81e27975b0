// Many runs exported at once: long (one row per point) and wide (one row per run).
#include "results/sweep_export.h"

#include "results/annotations.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

TEST_F(QueriesTest, ExportPointsGivesEveryPointOfTheSelectedRuns) {
  const Table t = torchsweep::export_points(db(), RunSelection{"beta", {}, ""});
  EXPECT_EQ(t.columns, (std::vector<std::string>{"run", "sweep", "key", "axis", "step", "value"}));
  ASSERT_EQ(t.rows.size(), 6u) << "r4 and r5, three points each; r6 has none";
  const std::vector<SqlValue> first = {I(r4), SqlValue("beta"), SqlValue("train/loss"), SqlValue("step"), I(0), D(1.0)};
  for (size_t c = 0; c < first.size(); ++c) EXPECT_CELL(t.rows[0][c], first[c]) << "col " << c;
  EXPECT_CELL(t.rows[5][0], I(r5));
  EXPECT_CELL(t.rows[5][4], I(20));
  EXPECT_CELL(t.rows[5][5], D(4.0));
}

TEST_F(QueriesTest, ExportWideGivesOneTypedRowPerRunAcrossSweeps) {
  torchsweep::tag_runs(db(), {r1}, {"best"}, {});
  const Table t = torchsweep::export_wide(db(), RunSelection{"all", {}, ""});
  EXPECT_EQ(t.columns, (std::vector<std::string>{"run", "sweep", "status", "seed", "steps", "wall_seconds", "tags",
                                                 "note", "optimizer.lr", "optimizer.name", "train/loss",
                                                 "train/loss.min", "val/loss", "val/acc", "val/acc.max", "test/loss",
                                                 "test/acc", "test/acc.max"}));
  ASSERT_EQ(t.rows.size(), 6u);
  // r1: lr 0.1 (a number, not text), losses 4 3 1.5 1 0.5, test/acc 0.5 then 0.75.
  const std::vector<SqlValue> r1_row = {I(r1), SqlValue("alpha"), SqlValue("finished"), I(1), I(4), D(1.5),
                                        SqlValue("best"), N, D(0.1), SqlValue("sgd"), D(0.5), D(0.5), N, N, N, N,
                                        D(0.75), D(0.75)};
  for (size_t c = 0; c < r1_row.size(); ++c) EXPECT_CELL(t.rows[0][c], r1_row[c]) << "col " << t.columns[c];
  // r5 (beta, diverged): train/loss ends at 4.0, its minimum was 1.0.
  EXPECT_CELL(t.rows[4][1], SqlValue("beta"));
  EXPECT_CELL(t.rows[4][10], D(4.0));
  EXPECT_CELL(t.rows[4][11], D(1.0));
  // r6 (pending): no summaries.
  EXPECT_CELL(t.rows[5][10], N);
}

}  // namespace
