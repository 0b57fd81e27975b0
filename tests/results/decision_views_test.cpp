// What adaptive sweeps decided, read back: a run's decisions and rungs, a sweep's rung
// levels (results rungs) and what status says of its rule, rungs and search.
#include "results/decision_views.h"

#include "tests/results/adaptive_fixture.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::RungLevel;

using DecisionViewsTest = torchsweep::testing::adaptive::AdaptiveQueriesTest;

TEST_F(DecisionViewsTest, RungLevelsCountWhoReachedEachRungWhoWentOnAndWhoWasStopped) {
  const auto levels = torchsweep::rung_levels(db(), made.sweep);
  ASSERT_EQ(levels.size(), 2u);
  // Rung 0 at epoch 1: all six reached it; r1 and r3 promoted; r0, r2, r4 stopped; r5
  // paused with no decision yet. The last cutoff taken there is seq 5's, 0.45; the best
  // value at the rung is r3's 0.4.
  const RungLevel& zero = levels[0];
  EXPECT_EQ(zero.sweep_id, made.sweep);
  EXPECT_EQ(zero.rung, std::optional<int64_t>(0));
  EXPECT_EQ(zero.axis, "epoch");
  EXPECT_EQ(zero.at, 1);
  EXPECT_EQ(zero.reached, id_list({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(zero.promoted, id_list({1, 3}));
  EXPECT_EQ(zero.stopped, id_list({0, 2, 4}));
  EXPECT_EQ(zero.paused, id_list({5}));
  EXPECT_EQ(zero.cutoff, std::optional<double>(0.45));
  EXPECT_EQ(zero.best, std::optional<double>(0.4));
  // Rung 1 at epoch 3: r1 (stopped, 0.35 vs 0.3) and r3 (the top rung: finished, no
  // decision, not paused).
  const RungLevel& one = levels[1];
  EXPECT_EQ(one.rung, std::optional<int64_t>(1));
  EXPECT_EQ(one.at, 3);
  EXPECT_EQ(one.reached, id_list({1, 3}));
  EXPECT_TRUE(one.promoted.empty());
  EXPECT_EQ(one.stopped, id_list({1}));
  EXPECT_TRUE(one.paused.empty());
  EXPECT_EQ(one.cutoff, std::optional<double>(0.3));
  EXPECT_EQ(one.best, std::optional<double>(0.3));
  // A sweep that decided nothing has no levels.
  EXPECT_TRUE(torchsweep::rung_levels(db(), made.lr_find_sweep).empty());
}

TEST_F(DecisionViewsTest, RungsTableOfTheLatestSweepAndOfAll) {
  const Table t = torchsweep::rungs_table(db(), "");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"rung", "axis", "at", "reached", "promoted", "stopped", "paused",
                                                 "cutoff", "best", "promoted_runs", "stopped_runs"}));
  ASSERT_EQ(t.rows.size(), 2u);
  const std::vector<SqlValue> zero = {I(0), T("epoch"), I(1), I(6), I(2), I(3), I(1), D(0.45), D(0.4),
                                      T(ids({1, 3})), T(ids({0, 2, 4}))};
  const std::vector<SqlValue> one = {I(1), T("epoch"), I(3), I(2), I(0), I(1), I(0), D(0.3), D(0.3), T(""),
                                     T(ids({1}))};
  for (size_t c = 0; c < zero.size(); ++c) EXPECT_CELL(t.rows[0][c], zero[c]) << "col " << c;
  for (size_t c = 0; c < one.size(); ++c) EXPECT_CELL(t.rows[1][c], one[c]) << "col " << c;
  // Several sweeps: a sweep column first; the lr-find sweep has no rows.
  const Table all = torchsweep::rungs_table(db(), "all");
  ASSERT_EQ(all.columns.front(), "sweep");
  ASSERT_EQ(all.rows.size(), 2u);
  EXPECT_CELL(all.rows[0][0], I(made.sweep));
  EXPECT_CELL(all.rows[1][1], I(1));
  EXPECT_TRUE(torchsweep::rungs_table(db(), "lr-find").rows.empty());
  ASSERT_THROWS_WITH(torchsweep::rungs_table(db(), "nope"), InputError, "--sweep: no sweep 'nope'");
}

TEST_F(DecisionViewsTest, ShowRunListsItsDecisionsAndRungs) {
  const int64_t r1 = made.runs[1];
  const auto sections = torchsweep::show_run(db(), r1);
  std::vector<std::string> titles;
  for (const auto& [title, table] : sections) titles.push_back(title);
  EXPECT_EQ(titles, (std::vector<std::string>{"run", "params", "summaries", "decisions", "rungs"}));
  const Table& decisions = sections[3].second;
  EXPECT_EQ(decisions.columns, (std::vector<std::string>{"seq", "action", "rule", "metric", "axis", "at", "rung",
                                                         "value", "threshold", "note", "decided_at"}));
  ASSERT_EQ(decisions.rows.size(), 2u);
  const std::vector<SqlValue> promoted = {I(1), T("promote"), T("asha"), T("test/loss"), T("epoch"), I(1), I(0),
                                          D(0.5), D(0.5), T("in the top 1/3 of 1 run at rung 0"),
                                          T("2026-12-06T10:02:01.000Z")};
  const std::vector<SqlValue> stopped = {I(6), T("stop"), T("asha"), T("test/loss"), T("epoch"), I(3), I(1),
                                         D(0.35), D(0.3), T("0.35 > 0.3, the top 1/3 cutoff of 2 runs at rung 1"),
                                         T("2026-12-06T10:02:06.000Z")};
  for (size_t c = 0; c < promoted.size(); ++c) EXPECT_CELL(decisions.rows[0][c], promoted[c]) << "col " << c;
  for (size_t c = 0; c < stopped.size(); ++c) EXPECT_CELL(decisions.rows[1][c], stopped[c]) << "col " << c;
  const Table& rungs = sections[4].second;
  EXPECT_EQ(rungs.columns, (std::vector<std::string>{"rung", "at", "value", "reached_at"}));
  ASSERT_EQ(rungs.rows.size(), 2u);
  EXPECT_CELL(rungs.rows[0][0], I(0));
  EXPECT_CELL(rungs.rows[0][1], I(1));
  EXPECT_CELL(rungs.rows[0][2], D(0.5));
  EXPECT_CELL(rungs.rows[1][0], I(1));
  EXPECT_CELL(rungs.rows[1][1], I(3));
  EXPECT_CELL(rungs.rows[1][2], D(0.35));
  // The record says the run was stopped, and of what kind it is.
  const Table& record = sections[0].second;
  auto field = [&](const std::string& name) {
    for (const auto& row : record.rows)
      if (row[0] == SqlValue(name)) return row[1];
    return SqlValue(nullptr);
  };
  EXPECT_CELL(field("status"), T("stopped"));
  EXPECT_CELL(field("kind"), T("train"));
  EXPECT_CELL(field("error"), T("stopped by asha at rung 1"));
  // A run nothing was decided about has neither section; an lr-find says its kind.
  const auto lr_find = torchsweep::show_run(db(), made.lr_find_run);
  ASSERT_EQ(lr_find.size(), 3u);
  bool kind_shown = false;
  for (const auto& row : lr_find[0].second.rows) kind_shown = kind_shown || (row[0] == T("kind") && row[1] == T("lr_find"));
  EXPECT_TRUE(kind_shown);
}

TEST_F(DecisionViewsTest, StatusNamesTheRuleAndALinePerRung) {
  EXPECT_EQ(torchsweep::adaptive_status(db(), made.sweep),
            "early stopping: asha on test/loss (minimize, per epoch), eta 3, min_resource 1\n"
            "  rung 0 at epoch 1: 6 reached, 2 promoted, 3 stopped, 1 paused, cutoff 0.45, best 0.4\n"
            "  rung 1 at epoch 3: 2 reached, 0 promoted, 1 stopped, cutoff 0.3, best 0.3\n");
  EXPECT_EQ(torchsweep::adaptive_status(db(), made.lr_find_sweep), "");
}

/// A rule without rungs (median) judges runs at steps; a search proposes runs.
TEST(DecisionViewsRulesTest, ARuleWithoutRungsHasALevelPerStepItJudgedAt) {
  TempDir dir;
  auto store = Store::open(dir.file("median.db"));
  NewSweep s;
  s.name = "median";
  s.spec_text = "name: median\n";
  s.spec_hash = "hm";
  s.adaptive_json = R"({"early_stop": {"rule": "median", "metric": "val/loss", "goal": "minimize", "axis": "step"},
                        "search": {"mode": "tpe"}})";
  using torchsweep::testing::adaptive::adaptive_run;
  const auto made = store->create_sweep(s, {adaptive_run(0, 0.1), adaptive_run(1, 0.2), adaptive_run(2, 0.3)});
  const int64_t sweep = made.first;
  const std::vector<int64_t> runs = made.second;
  store->end_run(runs[0], RunStatus::Stopped, "median", 20, 1.0);
  store->end_run(runs[2], RunStatus::Stopped, "median", 40, 1.0);
  auto insert = store->db().prepare(
      "INSERT INTO decisions(sweep_id, seq, run_id, action, rule, metric, axis, at, rung, value, threshold, "
      "decided_at) VALUES (?, ?, ?, ?, ?, 'val/loss', ?, ?, NULL, ?, ?, '2026-12-06T11:00:00.000Z')");
  auto decide = [&](int64_t seq, int64_t run, const char* action, const char* rule, SqlValue axis, SqlValue at,
                    SqlValue value, SqlValue threshold) {
    insert.bind(1, sweep).bind(2, seq).bind(3, run).bind(4, action).bind(5, rule).bind(6, axis).bind(7, at)
        .bind(8, value).bind(9, threshold).run();
  };
  decide(1, runs[0], "stop", "median", T("step"), I(20), D(2.0), D(1.5));
  decide(2, runs[1], "continue", "median", T("step"), I(20), D(1.2), D(1.5));
  decide(3, runs[2], "propose", "tpe", N, N, N, N);
  decide(4, runs[2], "stop", "median", T("step"), I(40), D(1.9), D(1.1));
  const auto levels = torchsweep::rung_levels(store->db(), sweep);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_FALSE(levels[0].rung.has_value());
  EXPECT_EQ(levels[0].at, 20);
  EXPECT_EQ(levels[0].reached, (std::vector<int64_t>{runs[0], runs[1]}));
  EXPECT_EQ(levels[0].promoted, (std::vector<int64_t>{runs[1]}));
  EXPECT_EQ(levels[0].stopped, (std::vector<int64_t>{runs[0]}));
  EXPECT_EQ(levels[0].best, std::optional<double>(1.2));
  EXPECT_EQ(levels[1].at, 40);
  EXPECT_EQ(levels[1].stopped, (std::vector<int64_t>{runs[2]}));
  EXPECT_EQ(torchsweep::adaptive_status(store->db(), sweep),
            "early stopping: median on val/loss (minimize, per step)\n"
            "  at step 20: 2 judged, 1 promoted, 1 stopped, cutoff 1.5, best 1.2\n"
            "  at step 40: 1 judged, 0 promoted, 1 stopped, cutoff 1.1, best 1.9\n"
            "search: tpe, 1 run(s) proposed\n");
  const Table t = torchsweep::rungs_table(store->db(), "");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_CELL(t.rows[0][0], N);  // no rung
  EXPECT_CELL(t.rows[0][1], T("step"));
  EXPECT_CELL(t.rows[0][2], I(20));
}

}  // namespace
