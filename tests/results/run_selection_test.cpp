// Selecting runs: sweeps by id, name and recency, explicit ids, listing, parameters.
#include "tests/results/adaptive_fixture.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

// ---- select_runs ----

TEST_F(QueriesTest, SelectLatestSweepByDefault) {
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{})), (std::vector<int64_t>{r4, r5, r6}));
}

TEST_F(QueriesTest, SelectAll) {
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"all", {}, ""})), (std::vector<int64_t>{r1, r2, r3, r4, r5, r6}));
}

TEST_F(QueriesTest, SelectBySweepIdAndName) {
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{std::to_string(alpha_id), {}, ""})),
            (std::vector<int64_t>{r1, r2, r3}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{std::to_string(beta_id), {}, ""})), (std::vector<int64_t>{r4, r5, r6}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"alpha", {}, ""})), (std::vector<int64_t>{r1, r2, r3}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"beta", {}, ""})), (std::vector<int64_t>{r4, r5, r6}));
}

TEST_F(QueriesTest, SelectFillsRunInfo) {
  const auto runs = select_runs(db(), RunSelection{"alpha", {}, ""});
  ASSERT_EQ(runs.size(), 3u);
  const auto& a = runs[0];
  EXPECT_EQ(a.id, r1);
  EXPECT_EQ(a.sweep_id, alpha_id);
  EXPECT_EQ(a.sweep_name, "alpha");
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.status, "finished");
  EXPECT_EQ(a.config_hash, "hash-0-1");
  ASSERT_TRUE(a.swept.is_object());
  EXPECT_EQ(a.swept.at("optimizer.lr").get<double>(), 0.1);
  EXPECT_EQ(a.swept.at("seed").get<int>(), 1);
  EXPECT_EQ(a.error, "");
  EXPECT_CELL(a.steps, I(4));
  EXPECT_CELL(a.wall_seconds, D(1.5));

  const auto& c = runs[2];
  EXPECT_EQ(c.index, 2);
  EXPECT_EQ(c.status, "failed");
  EXPECT_EQ(c.error, "boom");
  EXPECT_CELL(c.wall_seconds, D(0.75));

  const auto pending = select_runs(db(), RunSelection{"", {r6}, ""});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].status, "pending");
  EXPECT_CELL(pending[0].steps, N);
  EXPECT_CELL(pending[0].wall_seconds, N);
}

TEST_F(QueriesTest, SelectExplicitRunIdsIgnoresSweepAndSortsById) {
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"", {r5, r2}, ""})), (std::vector<int64_t>{r2, r5}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"alpha", {r5}, ""})), (std::vector<int64_t>{r5}));
}

TEST_F(QueriesTest, SelectErrors) {
  ASSERT_THROWS_WITH(select_runs(db(), RunSelection{"gamma", {}, ""}), InputError, "gamma");
  ASSERT_THROWS_WITH(select_runs(db(), RunSelection{"99", {}, ""}), InputError, "99");
  EXPECT_THROW(select_runs(db(), RunSelection{"", {999}, ""}), InputError);
  EXPECT_THROW(select_runs(db(), RunSelection{"alpha", {999, 1000}, ""}), InputError);
}

TEST(QueriesEmptyTest, SelectOnAnEmptyDatabaseIsAnInputError) {
  TempDir dir;
  auto store = Store::open(dir.file("empty.db"));
  EXPECT_THROW(select_runs(store->db(), RunSelection{}), InputError);
  EXPECT_THROW(select_runs(store->db(), RunSelection{"all", {}, ""}), InputError);
}

TEST_F(QueriesTest, SweepNamePicksTheLatestSweepOfThatName) {
  NewSweep again;
  again.name = "alpha";
  again.spec_text = "name: alpha\n";
  again.spec_hash = "ha2";
  const auto [id, runs] = store->create_sweep(again, {run(0, 0.5, 7, R"({"optimizer.lr":0.5})")});
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"alpha", {}, ""})), runs);
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"", {}, ""})), runs);
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{std::to_string(alpha_id), {}, ""})),
            (std::vector<int64_t>{r1, r2, r3}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{std::to_string(id), {}, ""})), runs);
}

// ---- list_runs ----

TEST_F(QueriesTest, ListRunsOfLatestSweep) {
  const Table t = list_runs(db(), RunSelection{});
  EXPECT_EQ(t.columns, (std::vector<std::string>{"run", "sweep", "status", "optimizer.lr", "config_hash", "steps",
                                                 "train/loss", "seconds"}));
  ASSERT_EQ(t.rows.size(), 3u);
  const std::string sweep = "beta #" + std::to_string(beta_id);
  const std::vector<std::vector<SqlValue>> want = {
      {I(r4), T(sweep), T("finished"), D(0.1), T("hash-0-1"), I(20), D(0.3), D(3.0)},
      {I(r5), T(sweep), T("diverged"), D(1.0), T("hash-1-1"), I(20), D(4.0), D(3.25)},
      {I(r6), T(sweep), T("pending"), D(0.01), T("hash-2-1"), N, N, N},
  };
  for (size_t r = 0; r < want.size(); ++r) {
    ASSERT_EQ(t.rows[r].size(), t.columns.size());
    for (size_t c = 0; c < want[r].size(); ++c) EXPECT_CELL(t.rows[r][c], want[r][c]) << " row " << r << " col " << c;
  }
}

TEST_F(QueriesTest, ListRunsAllHasTheUnionOfSweptKeys) {
  const Table t = list_runs(db(), RunSelection{"all", {}, ""});
  EXPECT_EQ(t.columns, (std::vector<std::string>{"run", "sweep", "status", "optimizer.lr", "seed", "config_hash",
                                                 "steps", "train/loss", "seconds"}));
  ASSERT_EQ(t.rows.size(), 6u);
  // r2: lr 0.1, seed 2, last loss 1.1
  EXPECT_CELL(t.rows[1][0], I(r2));
  EXPECT_CELL(t.rows[1][1], T("alpha #" + std::to_string(alpha_id)));
  EXPECT_CELL(t.rows[1][3], D(0.1));
  EXPECT_CELL(t.rows[1][4], I(2));
  EXPECT_CELL(t.rows[1][7], D(1.1));
  EXPECT_CELL(t.rows[1][8], D(2.5));
  // r3 failed, last loss 2.6
  EXPECT_CELL(t.rows[2][2], T("failed"));
  EXPECT_CELL(t.rows[2][7], D(2.6));
}

TEST_F(QueriesTest, ParamValue) {
  EXPECT_CELL(param_value(db(), r3, "optimizer.lr"), D(0.01));
  EXPECT_CELL(param_value(db(), r3, "seed"), I(1));
  EXPECT_CELL(param_value(db(), r3, "optimizer.name"), T("sgd"));
  EXPECT_CELL(param_value(db(), r3, "nothing"), N);
}

}  // namespace


namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using RunSelectionAdaptiveTest = torchsweep::testing::adaptive::AdaptiveQueriesTest;

TEST_F(RunSelectionAdaptiveTest, StoppedAndPausedRunsAreSelectedByTheirStatus) {
  // r0, r1, r2 and r4 were stopped; r5 waits at rung 0.
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"", {}, "status = stopped"})), id_list({0, 1, 2, 4}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"", {}, "status = 'paused'"})), id_list({5}));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"", {}, "status in (finished, paused)"})), id_list({3, 5}));
  const Table t = list_runs(db(), RunSelection{"", {}, "status = stopped and optimizer.lr > 0.05"});
  ASSERT_EQ(t.rows.size(), 2u);  // r2 (0.1) and r4 (1)
  EXPECT_CELL(t.rows[0][0], I(made.runs[2]));
  EXPECT_CELL(t.rows[0][2], T("stopped"));
  EXPECT_CELL(t.rows[1][0], I(made.runs[4]));
}

TEST_F(RunSelectionAdaptiveTest, ListShowsAKindColumnOnlyWhereARunIsNotATrainingRun) {
  const Table latest = list_runs(db(), RunSelection{});
  EXPECT_EQ(std::find(latest.columns.begin(), latest.columns.end(), "kind"), latest.columns.end());
  const Table all = list_runs(db(), RunSelection{"all", {}, ""});
  ASSERT_EQ(all.columns[3], "kind");
  ASSERT_EQ(all.rows.size(), 7u);
  EXPECT_CELL(all.rows[0][0], I(made.lr_find_run));
  EXPECT_CELL(all.rows[0][3], T("lr_find"));
  EXPECT_CELL(all.rows[1][3], T("train"));
  EXPECT_EQ(ids_of(select_runs(db(), RunSelection{"all", {}, "kind = lr_find"})),
            std::vector<int64_t>{made.lr_find_run});
}

TEST_F(RunSelectionAdaptiveTest, TrainingOnlyLeavesLrFindRunsOutUnlessAskedFor) {
  RunSelection all{"all", {}, ""};
  all.training_only = true;
  EXPECT_EQ(ids_of(select_runs(db(), all)), id_list({0, 1, 2, 3, 4, 5}));
  // Asked for: by the filter naming kind, or by id.
  RunSelection by_kind{"all", {}, "kind != train"};
  by_kind.training_only = true;
  EXPECT_EQ(ids_of(select_runs(db(), by_kind)), std::vector<int64_t>{made.lr_find_run});
  RunSelection by_id{"", {made.lr_find_run}, ""};
  by_id.training_only = true;
  EXPECT_EQ(ids_of(select_runs(db(), by_id)), std::vector<int64_t>{made.lr_find_run});
  // A sweep of lr-find runs only: said so, with the way to ask for them.
  RunSelection lr_find{"lr-find", {}, ""};
  lr_find.training_only = true;
  ASSERT_THROWS_WITH(select_runs(db(), lr_find), InputError, "--where 'kind = lr_find'");
}

}  // namespace
