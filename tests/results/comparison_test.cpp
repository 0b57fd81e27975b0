// Comparing groups of runs, and the comparison rendered as JSON and CSV.
#include "tests/results/adaptive_fixture.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

// ---- compare_runs ----

TEST_F(QueriesTest, CompareGroupsByParameterAndAveragesGroups) {
  CompareOptions o;
  o.runs.sweep = "alpha";
  o.by = {"optimizer.lr"};
  o.at = {2};
  const Table t = compare_runs(db(), o);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"optimizer.lr", "n", "train/loss@first", "@2", "last", "min",
                                                 "half_at", "last_step", "last_mean", "last_std", "best"}));
  ASSERT_EQ(t.rows.size(), 2u);

  // lr 0.01: r3 alone. 3.0 2.9 2.8 2.7 2.6 never falls to 1.5.
  const std::vector<SqlValue> small = {D(0.01), I(1), D(3.0), D(2.8), D(2.6), D(2.6), N, I(4)};
  for (size_t c = 0; c < small.size(); ++c) EXPECT_CELL(t.rows[0][c], small[c]) << " col " << t.columns[c];

  // lr 0.1: r1 (4.0 3.0 1.5 1.0 0.5; half 2.0 reached at step 2) and
  //         r2 (2.0 1.8 1.2 0.9 1.1; half 1.0 reached at step 3): means.
  const auto& big = t.rows[1];
  EXPECT_CELL(big[0], D(0.1));
  EXPECT_CELL(big[1], I(2));
  EXPECT_DOUBLE_EQ(as_double(big[2]), (4.0 + 2.0) / 2);  // first
  EXPECT_DOUBLE_EQ(as_double(big[3]), (1.5 + 1.2) / 2);  // @2
  EXPECT_DOUBLE_EQ(as_double(big[4]), (0.5 + 1.1) / 2);  // last
  EXPECT_DOUBLE_EQ(as_double(big[5]), (0.5 + 0.9) / 2);  // min
  EXPECT_DOUBLE_EQ(as_double(big[6]), (2.0 + 3.0) / 2);  // half_at differs between the runs
  EXPECT_CELL(big[7], I(4));                             // last_step is shared
}

TEST_F(QueriesTest, CompareSingleRunGroupsAndMissingAtSteps) {
  CompareOptions o;  // latest sweep: beta; r6 has no points and is left out
  o.by = {"optimizer.lr"};
  o.at = {10, 5};
  const Table t = compare_runs(db(), o);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"optimizer.lr", "n", "train/loss@first", "@10", "@5", "last", "min",
                                                 "half_at", "last_step", "last_mean", "last_std", "best"}));
  ASSERT_EQ(t.rows.size(), 2u);
  // lr 0.1: 1.0 0.6 0.3 at 0 10 20: half (0.5) reached at step 20.
  const std::vector<SqlValue> a = {D(0.1), I(1), D(1.0), D(0.6), N, D(0.3), D(0.3), I(20), I(20)};
  // lr 1.0: 1.0 2.0 4.0: min is the first value, never halves.
  const std::vector<SqlValue> b = {D(1.0), I(1), D(1.0), D(2.0), N, D(4.0), D(1.0), N, I(20)};
  for (size_t c = 0; c < a.size(); ++c) EXPECT_CELL(t.rows[0][c], a[c]) << " col " << t.columns[c];
  for (size_t c = 0; c < b.size(); ++c) EXPECT_CELL(t.rows[1][c], b[c]) << " col " << t.columns[c];
}

TEST_F(QueriesTest, CompareAcrossSweepsAveragesOnlyTheRunsThatHaveAStep) {
  CompareOptions o;
  o.runs.sweep = "all";
  o.by = {"optimizer.lr"};
  o.at = {10};
  const Table t = compare_runs(db(), o);
  ASSERT_EQ(t.rows.size(), 3u);  // 0.01 (r3; r6 has no points), 0.1 (r1 r2 r4), 1.0 (r5)
  EXPECT_CELL(t.rows[0][0], D(0.01));
  EXPECT_CELL(t.rows[0][1], I(1));
  EXPECT_CELL(t.rows[1][0], D(0.1));
  EXPECT_CELL(t.rows[2][0], D(1.0));

  const auto& g = t.rows[1];
  EXPECT_CELL(g[1], I(3));
  EXPECT_DOUBLE_EQ(as_double(g[2]), (4.0 + 2.0 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(as_double(g[3]), 0.6);  // only r4 logged step 10
  EXPECT_DOUBLE_EQ(as_double(g[4]), (0.5 + 1.1 + 0.3) / 3);
  EXPECT_DOUBLE_EQ(as_double(g[5]), (0.5 + 0.9 + 0.3) / 3);
  EXPECT_DOUBLE_EQ(as_double(g[6]), (2.0 + 3.0 + 20.0) / 3);
  EXPECT_DOUBLE_EQ(as_double(g[7]), (4.0 + 4.0 + 20.0) / 3);
  // The 0.01 group has no step 10.
  EXPECT_CELL(t.rows[0][3], N);
}

TEST_F(QueriesTest, CompareByTwoKeysSortsLexicographically) {
  CompareOptions o;
  o.runs.sweep = "alpha";
  o.by = {"optimizer.lr", "seed"};
  const Table t = compare_runs(db(), o);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"optimizer.lr", "seed", "n", "train/loss@first", "last", "min",
                                                 "half_at", "last_step", "last_mean", "last_std", "best"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_CELL(t.rows[0][0], D(0.01));
  EXPECT_CELL(t.rows[0][1], I(1));
  EXPECT_CELL(t.rows[0][3], D(3.0));
  EXPECT_CELL(t.rows[1][0], D(0.1));
  EXPECT_CELL(t.rows[1][1], I(1));
  EXPECT_CELL(t.rows[1][3], D(4.0));
  EXPECT_CELL(t.rows[1][6], I(2));
  EXPECT_CELL(t.rows[2][0], D(0.1));
  EXPECT_CELL(t.rows[2][1], I(2));
  EXPECT_CELL(t.rows[2][3], D(2.0));
  EXPECT_CELL(t.rows[2][6], I(3));
  for (const auto& row : t.rows) EXPECT_CELL(row[2], I(1));
}

TEST_F(QueriesTest, CompareWithoutByIsOneGroup) {
  CompareOptions o;
  o.runs.sweep = "all";
  const Table t = compare_runs(db(), o);
  EXPECT_EQ(t.columns,
            (std::vector<std::string>{"n", "train/loss@first", "last", "min", "half_at", "last_step", "last_mean", "last_std", "best"}));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_CELL(t.rows[0][0], I(5));
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][1]), (4.0 + 2.0 + 3.0 + 1.0 + 1.0) / 5);
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][2]), (0.5 + 1.1 + 2.6 + 0.3 + 4.0) / 5);
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][3]), (0.5 + 0.9 + 2.6 + 0.3 + 1.0) / 5);
  EXPECT_CELL(t.rows[0][4], N);  // r3 and r5 never halve
  EXPECT_DOUBLE_EQ(as_double(t.rows[0][5]), (4.0 + 4.0 + 4.0 + 20.0 + 20.0) / 5);
}

TEST_F(QueriesTest, CompareOtherMetric) {
  CompareOptions o;
  o.runs.run_ids = {r1};
  o.metric = "test/acc";
  const Table t = compare_runs(db(), o);
  EXPECT_EQ(t.columns[1], "test/acc@first");
  ASSERT_EQ(t.rows.size(), 1u);
  const std::vector<SqlValue> want = {I(1), D(0.5), D(0.75), D(0.5), N, I(4)};
  for (size_t c = 0; c < want.size(); ++c) EXPECT_CELL(t.rows[0][c], want[c]) << " col " << t.columns[c];
}

TEST_F(QueriesTest, CompareErrors) {
  CompareOptions o;
  o.runs.sweep = "alpha";
  o.by = {"optimizer.lrr"};
  ASSERT_THROWS_WITH(compare_runs(db(), o), InputError, "optimizer.lrr");
  ASSERT_THROWS_WITH(compare_runs(db(), o), InputError, "did you mean 'optimizer.lr'");

  o.by = {"optimizer.lr"};
  o.metric = "val/loss";
  ASSERT_THROWS_WITH(compare_runs(db(), o), InputError, "val/loss");

  o.metric = "train/loss";
  o.runs.sweep = "nope";
  ASSERT_THROWS_WITH(compare_runs(db(), o), InputError, "nope");
}

// ---- fit_comparison ----

TEST(QueriesRenderTest, FittedCompareKeepsColumnsByPlaceWhenKeysAndStepsShareTheirNames) {
  TempDir dir;
  auto store = Store::open(dir.file("r.db"));
  NewSweep s;
  s.name = "s";
  s.spec_text = "x";
  s.spec_hash = "h";
  // Parameters named like compare's columns `min` and `best`.
  NewRun r1, r2;
  r1.config_hash = "c1";
  r2.config_hash = "c2";
  r1.config_json = r2.config_json = "{}";
  r1.params = {{"min", SqlValue(0.1)}, {"best", SqlValue(std::string("a"))}};
  r2.params = {{"min", SqlValue(0.2)}, {"best", SqlValue(std::string("b"))}};
  const auto ids = store->create_sweep(s, {r1, r2}).second;
  store->append_metrics(ids[0], {{"train/loss", 0, 2.0}, {"train/loss", 1, 1.0}, {"train/loss", 2, 0.5}},
                        {"train/loss"});
  store->append_metrics(ids[1], {{"train/loss", 0, 3.0}, {"train/loss", 1, 2.5}, {"train/loss", 2, 2.8}},
                        {"train/loss"});
  CompareOptions o;
  o.by = {"min", "best"};
  o.at = {1, 1};  // a step asked for twice: two columns named alike
  const Table t = torchsweep::fit_comparison(compare_runs(store->db(), o), o, 1000);
  // Everything fits; `last` is left out as the aggregate's own column (last_mean) says it.
  EXPECT_EQ(t.columns, (std::vector<std::string>{"min", "best", "n", "train/loss@first", "@1", "@1", "min", "half_at",
                                                 "last_step", "last_mean", "last_std", "best"}));
  ASSERT_EQ(t.rows.size(), 2u);
  // r1: 2.0 1.0 0.5, half (1.0) at step 1, ranked first by its last value 0.5 < 2.8.
  const std::vector<SqlValue> a = {D(0.1), T("a"), I(1), D(2.0), D(1.0), D(1.0), D(0.5), I(1), I(2), D(0.5), N, T("*")};
  // r2: 3.0 2.5 2.8, never falls to 1.5.
  const std::vector<SqlValue> b = {D(0.2), T("b"), I(1), D(3.0), D(2.5), D(2.5), D(2.5), N, I(2), D(2.8), N, T("")};
  ASSERT_EQ(t.rows[0].size(), a.size());
  for (size_t c = 0; c < a.size(); ++c) EXPECT_CELL(t.rows[0][c], a[c]) << " col " << c << " " << t.columns[c];
  for (size_t c = 0; c < b.size(); ++c) EXPECT_CELL(t.rows[1][c], b[c]) << " col " << c << " " << t.columns[c];
}

TEST(QueriesRenderTest, RenderedCompareTableIsValidJsonAndCsv) {
  TempDir dir;
  auto store = Store::open(dir.file("r.db"));
  NewSweep s;
  s.name = "s";
  s.spec_text = "x";
  s.spec_hash = "h";
  NewRun r;
  r.config_hash = "c";
  r.config_json = "{}";
  r.params = {{"optimizer.lr", SqlValue(0.1)}};
  const auto ids = store->create_sweep(s, {r}).second;
  // 1.0 is exactly half of 2.0: half_at is the first step with value <= first / 2.
  store->append_metrics(ids[0], {{"train/loss", 0, 2.0}, {"train/loss", 1, 1.0}, {"train/loss", 2, 0.1}},
                        {"train/loss"});
  CompareOptions o;
  o.by = {"optimizer.lr"};
  const Table t = compare_runs(store->db(), o);
  const auto j = nlohmann::json::parse(render_to_string(t, TableFormat::Json));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["optimizer.lr"].get<double>(), 0.1);
  EXPECT_EQ(j[0]["train/loss@first"].get<double>(), 2.0);
  EXPECT_EQ(j[0]["last"].get<double>(), 0.1);
  EXPECT_EQ(j[0]["min"].get<double>(), 0.1);
  EXPECT_EQ(j[0]["half_at"].get<int>(), 1);
  EXPECT_EQ(j[0]["last_step"].get<int>(), 2);
  const auto csv = parse_csv(render_to_string(t, TableFormat::Csv));
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0][0], "optimizer.lr");
  EXPECT_EQ(std::stod(csv[1][0]), 0.1);
  EXPECT_EQ(std::stod(csv[1][3]), 0.1);  // last
}

}  // namespace


namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using CompareAdaptiveTest = torchsweep::testing::adaptive::AdaptiveQueriesTest;

TEST_F(CompareAdaptiveTest, AnLrFindRunIsNoGroupUnlessAskedFor) {
  CompareOptions o;
  o.runs.sweep = "all";
  o.by = {"optimizer.lr"};
  const Table t = compare_runs(db(), o);
  // The six rates of the ASHA sweep; the lr-find's starting rate 1e-7 is no group.
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_CELL(t.rows[0][0], D(0.01));
  EXPECT_CELL(t.rows[5][0], D(3.0));
  o.runs.where = "kind = lr_find";
  const Table lr_find = compare_runs(db(), o);
  ASSERT_EQ(lr_find.rows.size(), 1u);
  EXPECT_CELL(lr_find.rows[0][0], D(1e-7));
  EXPECT_CELL(lr_find.rows[0][1], I(1));
  EXPECT_CELL(lr_find.rows[0][2], D(2.0));  // first train/loss
  EXPECT_CELL(lr_find.rows[0][3], D(9.0));  // last
}

}  // namespace
