// The sweeps of a database, one row each, runs counted by status.
#include "results/sweep_views.h"

#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

TEST_F(QueriesTest, ListSweepsCountsEachSweepsRunsByStatus) {
  const Table t = torchsweep::list_sweeps(db());
  EXPECT_EQ(t.columns, (std::vector<std::string>{"sweep", "name", "mode", "launcher", "created", "runs", "pending",
                                                 "running", "finished", "diverged", "failed", "interrupted", "seconds",
                                                 "spec"}));
  ASSERT_EQ(t.rows.size(), 2u);
  // alpha: r1, r2 finished (1.5 s, 2.5 s), r3 failed (0.75 s).
  const std::vector<SqlValue> alpha = {I(alpha_id), SqlValue("alpha"), SqlValue("grid"), SqlValue("local")};
  for (size_t c = 0; c < alpha.size(); ++c) EXPECT_CELL(t.rows[0][c], alpha[c]) << "col " << c;
  const std::vector<SqlValue> alpha_counts = {I(3), I(0), I(0), I(2), I(0), I(1), I(0), D(4.75)};
  for (size_t c = 0; c < alpha_counts.size(); ++c) EXPECT_CELL(t.rows[0][5 + c], alpha_counts[c]) << "col " << 5 + c;
  // beta: r4 finished (3 s), r5 diverged (3.25 s), r6 pending (no time yet).
  EXPECT_CELL(t.rows[1][1], SqlValue("beta"));
  const std::vector<SqlValue> beta_counts = {I(3), I(1), I(0), I(1), I(1), I(0), I(0), D(6.25)};
  for (size_t c = 0; c < beta_counts.size(); ++c) EXPECT_CELL(t.rows[1][5 + c], beta_counts[c]) << "col " << 5 + c;
}

TEST(SweepViewsTest, AnEmptyDatabaseHasNoSweeps) {
  TempDir dir;
  auto store = Store::open(dir.file("empty.db"));
  EXPECT_TRUE(torchsweep::list_sweeps(store->db()).rows.empty());
}

}  // namespace
