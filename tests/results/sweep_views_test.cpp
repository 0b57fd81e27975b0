// The sweeps of a database, one row each, runs counted by status.
#include "results/sweep_views.h"

#include "tests/results/adaptive_fixture.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

TEST_F(QueriesTest, ListSweepsCountsEachSweepsRunsByStatus) {
  const Table t = torchsweep::list_sweeps(db());
  EXPECT_EQ(t.columns, (std::vector<std::string>{"sweep", "name", "mode", "launcher", "created", "runs", "pending",
                                                 "running", "paused", "finished", "stopped", "diverged", "failed",
                                                 "interrupted", "seconds", "spec", "overrides"}));
  ASSERT_EQ(t.rows.size(), 2u);
  // alpha: r1, r2 finished (1.5 s, 2.5 s), r3 failed (0.75 s).
  const std::vector<SqlValue> alpha = {I(alpha_id), SqlValue("alpha"), SqlValue("grid"), SqlValue("local")};
  for (size_t c = 0; c < alpha.size(); ++c) EXPECT_CELL(t.rows[0][c], alpha[c]) << "col " << c;
  const std::vector<SqlValue> alpha_counts = {I(3), I(0), I(0), I(0), I(2), I(0), I(0), I(1), I(0), D(4.75)};
  for (size_t c = 0; c < alpha_counts.size(); ++c) EXPECT_CELL(t.rows[0][5 + c], alpha_counts[c]) << "col " << 5 + c;
  // beta: r4 finished (3 s), r5 diverged (3.25 s), r6 pending (no time yet).
  EXPECT_CELL(t.rows[1][1], SqlValue("beta"));
  const std::vector<SqlValue> beta_counts = {I(3), I(1), I(0), I(0), I(1), I(0), I(1), I(0), I(0), D(6.25)};
  for (size_t c = 0; c < beta_counts.size(); ++c) EXPECT_CELL(t.rows[1][5 + c], beta_counts[c]) << "col " << 5 + c;
}

TEST(SweepViewsTest, TwoSweepsOfOneSpecShowTheirOverrides) {
  TempDir dir;
  auto store = Store::open(dir.file("two.db"));
  NewSweep plain;
  plain.name = "seed-backprop";
  plain.spec_text = "name: seed-backprop\n";
  plain.spec_hash = "h";
  NewSweep with = plain;
  with.overrides_json = R"(["optimizer.momentum=0.9", "sweep={mode: random, samples: 4}", "optimizer.lr=[0.1,0.2]"])";
  store->create_sweep(plain, {});
  store->create_sweep(with, {});
  const Table t = torchsweep::list_sweeps(store->db());
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_CELL(t.rows[0].back(), SqlValue(""));
  // Each word quoted as a shell needs it: the line can be pasted after `torchsweep run SPEC`.
  EXPECT_CELL(t.rows[1].back(),
              SqlValue("optimizer.momentum=0.9 'sweep={mode: random, samples: 4}' 'optimizer.lr=[0.1,0.2]'"));
  const std::string text = render_to_string(t, TableFormat::Table);
  EXPECT_NE(text.find("optimizer.momentum=0.9"), std::string::npos) << text;
}

TEST(SweepViewsTest, AnEmptyDatabaseHasNoSweeps) {
  TempDir dir;
  auto store = Store::open(dir.file("empty.db"));
  EXPECT_TRUE(torchsweep::list_sweeps(store->db()).rows.empty());
}

}  // namespace

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using SweepViewsAdaptiveTest = torchsweep::testing::adaptive::AdaptiveQueriesTest;

TEST_F(SweepViewsAdaptiveTest, StoppedAndPausedRunsAreCountedAsThemselves) {
  const Table t = torchsweep::list_sweeps(db());
  ASSERT_EQ(t.rows.size(), 2u);
  auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
  };
  // The ASHA sweep: r3 finished, r0 r1 r2 r4 stopped, r5 paused; none failed.
  const auto& asha = t.rows[1];
  EXPECT_CELL(asha[column("runs")], I(6));
  EXPECT_CELL(asha[column("finished")], I(1));
  EXPECT_CELL(asha[column("stopped")], I(4));
  EXPECT_CELL(asha[column("paused")], I(1));
  EXPECT_CELL(asha[column("failed")], I(0));
  EXPECT_CELL(asha[column("mode")], T("grid"));
  EXPECT_CELL(t.rows[0][column("mode")], T("lr_find"));
}

}  // namespace
