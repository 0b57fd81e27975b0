// Read-side queries and table rendering over a small database written by hand
// through Store. Every expected value below is derived from the numbers written
// in SetUp, not by calling the code under test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "results/queries.h"
#include "results/store.h"
#include "results/table.h"
#include "runner/error.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::CompareOptions;
using torchsweep::Curve;
using torchsweep::InputError;
using torchsweep::MetricPoint;
using torchsweep::NewRun;
using torchsweep::NewSweep;
using torchsweep::RunSelection;
using torchsweep::RunStatus;
using torchsweep::SqlValue;
using torchsweep::Store;
using torchsweep::Table;
using torchsweep::TableFormat;
using torchsweep::testing::TempDir;
using torchsweep::compare_runs;
using torchsweep::curves_table;
using torchsweep::export_run;
using torchsweep::list_runs;
using torchsweep::load_curves;
using torchsweep::param_value;
using torchsweep::select_runs;

SqlValue I(int64_t v) { return SqlValue(v); }
SqlValue D(double v) { return SqlValue(v); }
SqlValue T(const std::string& v) { return SqlValue(v); }
const SqlValue N = SqlValue(nullptr);

bool is_null(const SqlValue& v) { return std::holds_alternative<std::nullptr_t>(v); }

/// A double cell, failing the test when the cell is not a double.
double as_double(const SqlValue& v) {
  const auto* d = std::get_if<double>(&v);
  EXPECT_NE(d, nullptr) << "cell is not a REAL";
  return d ? *d : std::nan("");
}

std::string describe(const SqlValue& v) {
  if (is_null(v)) return "NULL";
  if (const auto* i = std::get_if<int64_t>(&v)) return "int " + std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    std::ostringstream s;
    s.precision(17);
    s << "real " << *d;
    return s.str();
  }
  return "text '" + std::get<std::string>(v) + "'";
}

#define EXPECT_CELL(actual, expected) \
  EXPECT_TRUE((actual) == (expected)) << "got " << describe(actual) << ", want " << describe(expected)

std::vector<int64_t> ids_of(const std::vector<torchsweep::RunInfo>& runs) {
  std::vector<int64_t> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

std::string render_to_string(const Table& table, TableFormat format) {
  std::ostringstream out;
  torchsweep::render(table, format, out);
  return out.str();
}

/// Splits CSV text into rows of cells (quotes and doubled quotes handled; no newlines in cells).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
        else if (c == '"') quoted = false;
        else cells.back() += c;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.emplace_back();
      } else {
        cells.back() += c;
      }
    }
    rows.push_back(cells);
  }
  return rows;
}

// The database:
//
// sweep 1 "alpha" (swept: optimizer.lr, seed)
//   r1  lr 0.1   seed 1  finished  train/loss @0..4: 4.0 3.0 1.5 1.0 0.5
//                                   test/acc @2 0.5, @4 0.75; lr @2 0.1, @4 0.05
//   r2  lr 0.1   seed 2  finished  train/loss @0..4: 2.0 1.8 1.2 0.9 1.1
//   r3  lr 0.01  seed 1  failed    train/loss @0..4: 3.0 2.9 2.8 2.7 2.6
// sweep 2 "beta" (swept: optimizer.lr)
//   r4  lr 0.1   seed 1  finished  train/loss @0,10,20: 1.0 0.6 0.3
//   r5  lr 1.0   seed 1  diverged  train/loss @0,10,20: 1.0 2.0 4.0
//   r6  lr 0.01  seed 1  pending   (no metrics)
class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = Store::open(dir.file("results.db"));

    NewSweep alpha;
    alpha.name = "alpha";
    alpha.spec_text = "name: alpha\n";
    alpha.spec_hash = "ha";
    const auto a = store->create_sweep(alpha, {run(0, 0.1, 1, R"({"optimizer.lr":0.1,"seed":1})"),
                                               run(1, 0.1, 2, R"({"optimizer.lr":0.1,"seed":2})"),
                                               run(2, 0.01, 1, R"({"optimizer.lr":0.01,"seed":1})")});
    alpha_id = a.first;
    r1 = a.second[0];
    r2 = a.second[1];
    r3 = a.second[2];

    NewSweep beta;
    beta.name = "beta";
    beta.spec_text = "name: beta\n";
    beta.spec_hash = "hb";
    const auto b = store->create_sweep(beta, {run(0, 0.1, 1, R"({"optimizer.lr":0.1})"),
                                              run(1, 1.0, 1, R"({"optimizer.lr":1.0})"),
                                              run(2, 0.01, 1, R"({"optimizer.lr":0.01})")});
    beta_id = b.first;
    r4 = b.second[0];
    r5 = b.second[1];
    r6 = b.second[2];

    // r1: keys first seen in the order train/loss, test/acc, lr (not alphabetical).
    store->append_metrics(r1,
                          {{"train/loss", 0, 4.0},
                           {"train/loss", 1, 3.0},
                           {"train/loss", 2, 1.5},
                           {"test/acc", 2, 0.5},
                           {"lr", 2, 0.1}},
                          {"train/loss", "test/acc", "lr"});
    store->append_metrics(r1, {{"train/loss", 3, 1.0}, {"train/loss", 4, 0.5}, {"test/acc", 4, 0.75}, {"lr", 4, 0.05}},
                          {});
    loss(r2, {0, 1, 2, 3, 4}, {2.0, 1.8, 1.2, 0.9, 1.1});
    loss(r3, {0, 1, 2, 3, 4}, {3.0, 2.9, 2.8, 2.7, 2.6});
    loss(r4, {0, 10, 20}, {1.0, 0.6, 0.3});
    loss(r5, {0, 10, 20}, {1.0, 2.0, 4.0});

    store->end_run(r1, RunStatus::Finished, "", 4, 1.5);
    store->end_run(r2, RunStatus::Finished, "", 4, 2.5);
    store->end_run(r3, RunStatus::Failed, "boom", 4, 0.75);
    store->end_run(r4, RunStatus::Finished, "", 20, 3.0);
    store->end_run(r5, RunStatus::Diverged, "loss exploded", 20, 3.25);
  }

  static NewRun run(int64_t index, double lr, int64_t seed, const std::string& swept) {
    NewRun r;
    r.index = index;
    r.config_hash = "hash-" + std::to_string(index) + "-" + std::to_string(seed);
    r.config_json = "{}";
    r.swept_json = swept;
    r.seed = seed;
    r.device = "cpu";
    r.params = {{"optimizer.lr", SqlValue(lr)}, {"seed", SqlValue(seed)}, {"optimizer.name", SqlValue("sgd")}};
    return r;
  }

  void loss(int64_t run_id, const std::vector<int64_t>& steps, const std::vector<double>& values) {
    std::vector<MetricPoint> points;
    for (size_t i = 0; i < steps.size(); ++i) points.push_back({"train/loss", steps[i], values[i]});
    store->append_metrics(run_id, points, {"train/loss"});
  }

  torchsweep::Database& db() { return store->db(); }

  TempDir dir;
  std::unique_ptr<Store> store;
  int64_t alpha_id = 0, beta_id = 0;
  int64_t r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, r6 = 0;
};

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

// ---- curves ----

TEST_F(QueriesTest, LoadCurvesLabelsAndSortsByValue) {
  const auto curves = load_curves(db(), RunSelection{"alpha", {}, ""}, "train/loss", {"optimizer.lr"});
  ASSERT_EQ(curves.size(), 3u);
  // 0.01 sorts before 0.1; the two 0.1 runs keep id order.
  EXPECT_EQ(curves[0].run_id, r3);
  EXPECT_EQ(curves[0].label, "optimizer.lr = 0.01");
  EXPECT_EQ(curves[1].run_id, r1);
  EXPECT_EQ(curves[1].label, "optimizer.lr = 0.1");
  EXPECT_EQ(curves[2].run_id, r2);
  EXPECT_EQ(curves[2].label, "optimizer.lr = 0.1");
  EXPECT_EQ(curves[1].steps, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(curves[1].values, (std::vector<double>{4.0, 3.0, 1.5, 1.0, 0.5}));
  EXPECT_EQ(curves[0].values, (std::vector<double>{3.0, 2.9, 2.8, 2.7, 2.6}));
}

TEST_F(QueriesTest, LoadCurvesWithoutByLabelsRunIds) {
  const auto curves = load_curves(db(), RunSelection{"alpha", {}, ""}, "train/loss", {});
  ASSERT_EQ(curves.size(), 3u);
  EXPECT_EQ(curves[0].label, "run " + std::to_string(r1));
  EXPECT_EQ(curves[1].label, "run " + std::to_string(r2));
  EXPECT_EQ(curves[2].label, "run " + std::to_string(r3));
}

TEST_F(QueriesTest, LoadCurvesWithTwoKeys) {
  const auto curves = load_curves(db(), RunSelection{"alpha", {}, ""}, "train/loss", {"optimizer.lr", "seed"});
  ASSERT_EQ(curves.size(), 3u);
  EXPECT_EQ(curves[0].label, "optimizer.lr = 0.01, seed = 1");
  EXPECT_EQ(curves[1].label, "optimizer.lr = 0.1, seed = 1");
  EXPECT_EQ(curves[2].label, "optimizer.lr = 0.1, seed = 2");
}

TEST_F(QueriesTest, LoadCurvesSkipsRunsWithoutPointsAndReportsErrors) {
  const auto curves = load_curves(db(), RunSelection{}, "train/loss", {"optimizer.lr"});
  ASSERT_EQ(curves.size(), 2u);  // r6 has no points
  EXPECT_EQ(curves[0].label, "optimizer.lr = 0.1");
  EXPECT_EQ(curves[1].label, "optimizer.lr = 1");
  EXPECT_EQ(curves[1].steps, (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(curves[1].values, (std::vector<double>{1.0, 2.0, 4.0}));

  ASSERT_THROWS_WITH(load_curves(db(), RunSelection{}, "train/loss", {"momentum"}), InputError, "momentum");
  ASSERT_THROWS_WITH(load_curves(db(), RunSelection{}, "test/acc", {}), InputError, "test/acc");
}

TEST_F(QueriesTest, CurvesTableIsWide) {
  const Table t = curves_table(load_curves(db(), RunSelection{}, "train/loss", {"optimizer.lr"}));
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "optimizer.lr = 0.1", "optimizer.lr = 1"}));
  const std::vector<std::vector<SqlValue>> want = {
      {I(0), D(1.0), D(1.0)}, {I(10), D(0.6), D(2.0)}, {I(20), D(0.3), D(4.0)}};
  ASSERT_EQ(t.rows.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r)
    for (size_t c = 0; c < want[r].size(); ++c) EXPECT_CELL(t.rows[r][c], want[r][c]) << " row " << r;
}

TEST(QueriesCurvesTest, CurvesTableFillsMissingStepsWithNull) {
  Curve a{1, "a", {0, 2}, {1.0, 2.0}};
  Curve b{2, "b", {1, 2}, {5.0, 6.0}};
  const Table t = curves_table({a, b});
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "a", "b"}));
  const std::vector<std::vector<SqlValue>> want = {{I(0), D(1.0), N}, {I(1), N, D(5.0)}, {I(2), D(2.0), D(6.0)}};
  ASSERT_EQ(t.rows.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r)
    for (size_t c = 0; c < want[r].size(); ++c) EXPECT_CELL(t.rows[r][c], want[r][c]) << " row " << r;
}

// ---- export_run ----

TEST_F(QueriesTest, ExportRunFollowsMetricKeyOrderOneRowPerStep) {
  const Table t = export_run(db(), r1);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "train/loss", "test/acc", "lr"}));
  const std::vector<std::vector<SqlValue>> want = {
      {I(0), D(4.0), N, N},           {I(1), D(3.0), N, N},          {I(2), D(1.5), D(0.5), D(0.1)},
      {I(3), D(1.0), N, N},           {I(4), D(0.5), D(0.75), D(0.05)},
  };
  ASSERT_EQ(t.rows.size(), want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    ASSERT_EQ(t.rows[r].size(), 4u);
    for (size_t c = 0; c < 4; ++c) EXPECT_CELL(t.rows[r][c], want[r][c]) << " row " << r << " col " << c;
  }
}

TEST_F(QueriesTest, ExportRunWithoutMetricsAndUnknownRun) {
  const Table t = export_run(db(), r6);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step"}));
  EXPECT_TRUE(t.rows.empty());
  EXPECT_THROW(export_run(db(), 12345), InputError);
}

TEST_F(QueriesTest, ParamValue) {
  EXPECT_CELL(param_value(db(), r3, "optimizer.lr"), D(0.01));
  EXPECT_CELL(param_value(db(), r3, "seed"), I(1));
  EXPECT_CELL(param_value(db(), r3, "optimizer.name"), T("sgd"));
  EXPECT_CELL(param_value(db(), r3, "nothing"), N);
}

// ---- rendering ----

Table sample_table() {
  Table t;
  t.columns = {"name", "lr", "n", "note"};
  t.rows = {
      {T("adam"), D(0.1), I(3), N},
      {T("say \"hi\", ok"), D(2.5), I(-1), D(std::numeric_limits<double>::quiet_NaN())},
      {T("third"), D(1.0 / 3.0), I(0), D(1e-12)},
  };
  return t;
}

TEST(QueriesRenderTest, CsvKeepsFullPrecisionAndQuotes) {
  const std::string text = render_to_string(sample_table(), TableFormat::Csv);
  const auto rows = parse_csv(text);
  ASSERT_EQ(rows.size(), 4u) << text;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"name", "lr", "n", "note"}));
  ASSERT_EQ(rows[1].size(), 4u);
  EXPECT_EQ(rows[1][0], "adam");
  EXPECT_EQ(std::stod(rows[1][1]), 0.1);  // round-trips exactly
  EXPECT_EQ(rows[1][2], "3");
  EXPECT_EQ(rows[1][3], "");  // NULL is empty
  ASSERT_EQ(rows[2].size(), 4u);
  EXPECT_EQ(rows[2][0], "say \"hi\", ok");
  EXPECT_EQ(std::stod(rows[2][1]), 2.5);
  EXPECT_EQ(rows[2][2], "-1");
  EXPECT_EQ(rows[2][3], "nan");
  ASSERT_EQ(rows[3].size(), 4u);
  EXPECT_EQ(std::stod(rows[3][1]), 1.0 / 3.0);
  EXPECT_EQ(std::stod(rows[3][3]), 1e-12);
  // The quoted cell is written with doubled quotes.
  EXPECT_NE(text.find("\"say \"\"hi\"\", ok\""), std::string::npos) << text;
}

TEST(QueriesRenderTest, JsonIsValidWithColumnNamesAsKeys) {
  const std::string text = render_to_string(sample_table(), TableFormat::Json);
  nlohmann::json parsed;
  ASSERT_NO_THROW(parsed = nlohmann::json::parse(text)) << text;
  ASSERT_TRUE(parsed.is_array());
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0]["name"], "adam");
  EXPECT_EQ(parsed[0]["lr"].get<double>(), 0.1);
  EXPECT_EQ(parsed[0]["n"].get<int>(), 3);
  EXPECT_TRUE(parsed[0]["n"].is_number_integer());
  EXPECT_TRUE(parsed[0]["note"].is_null());
  EXPECT_EQ(parsed[1]["name"], "say \"hi\", ok");
  EXPECT_EQ(parsed[1]["n"].get<int>(), -1);
  EXPECT_TRUE(parsed[1]["note"].is_string());  // JSON has no NaN
  EXPECT_EQ(parsed[2]["lr"].get<double>(), 1.0 / 3.0);
  EXPECT_EQ(parsed[2]["note"].get<double>(), 1e-12);
  for (const auto& row : parsed) EXPECT_EQ(row.size(), 4u);

  // Keys keep the column order.
  const auto ordered = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& item : ordered[0].items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "lr", "n", "note"}));

  // An empty table is an empty array.
  Table empty;
  empty.columns = {"a"};
  EXPECT_TRUE(nlohmann::json::parse(render_to_string(empty, TableFormat::Json)).empty());
}

TEST(QueriesRenderTest, TextTableAlignsNumbersRight) {
  Table t;
  t.columns = {"run", "status", "loss"};
  t.rows = {{I(1), T("finished"), D(0.5)}, {I(12), T("failed"), N}};
  EXPECT_EQ(render_to_string(t, TableFormat::Table),
            "run  status    loss\n"
            "---  --------  ----\n"
            "  1  finished   0.5\n"
            " 12  failed       -\n");
}

TEST(QueriesRenderTest, TextTableShowsTenSignificantDigits) {
  EXPECT_EQ(torchsweep::format_cell(D(1.0 / 3.0), TableFormat::Table), "0.3333333333");
  EXPECT_EQ(torchsweep::format_cell(D(0.1), TableFormat::Table), "0.1");
  EXPECT_EQ(torchsweep::format_cell(N, TableFormat::Table), "-");
  EXPECT_EQ(torchsweep::format_cell(N, TableFormat::Csv), "");
  EXPECT_EQ(torchsweep::format_cell(I(-7), TableFormat::Json), "-7");
}

TEST(QueriesRenderTest, CsvPrintsTheShortestTextThatReadsBackExactly) {
  // As JSON prints numbers: 0.1, not 0.10000000000000001.
  EXPECT_EQ(torchsweep::format_cell(D(0.1), TableFormat::Csv), "0.1");
  EXPECT_EQ(torchsweep::format_cell(D(0.1 + 0.2), TableFormat::Csv), "0.30000000000000004");
  EXPECT_EQ(torchsweep::format_cell(D(2.5e-7), TableFormat::Csv), "2.5e-07");
  EXPECT_EQ(torchsweep::format_cell(D(std::nan("")), TableFormat::Csv), "nan");
  EXPECT_EQ(torchsweep::format_cell(D(2.0), TableFormat::Csv), "2");
  for (const double v : {1.0 / 3.0, 0.7853981633974483, 1e300, -4.9e-324, 12345.678, 0.125}) {
    const std::string text = torchsweep::format_cell(D(v), TableFormat::Csv);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    char longest[64];
    std::snprintf(longest, sizeof longest, "%.17g", v);
    EXPECT_LE(text.size(), std::string(longest).size()) << text;
  }
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

TEST(QueriesRenderTest, ParseTableFormat) {
  EXPECT_EQ(torchsweep::parse_table_format("table"), TableFormat::Table);
  EXPECT_EQ(torchsweep::parse_table_format("csv"), TableFormat::Csv);
  EXPECT_EQ(torchsweep::parse_table_format("json"), TableFormat::Json);
  ASSERT_THROWS_WITH(torchsweep::parse_table_format("xml"), InputError, "xml");
}

}  // namespace

namespace {

using torchsweep::MetricAxis;
using torchsweep::MetricKey;

// A run that trained 2 epochs of 3 steps, logging train/loss at steps 0-5 and, at each
// epoch's end, test/acc and where the epoch ended (train/steps) on the epoch axis.
class EpochAxisTest : public QueriesTest {
 protected:
  void SetUp() override {
    QueriesTest::SetUp();
    NewSweep s;
    s.name = "epochs";
    s.spec_text = "name: epochs\n";
    s.spec_hash = "he";
    run_id = store->create_sweep(s, {run(0, 0.1, 1, R"({"optimizer.lr":0.1})")}).second[0];
    store->append_metrics(run_id,
                          {{"train/loss", 0, 2.0}, {"train/loss", 1, 1.5}, {"train/loss", 2, 1.2},
                           {"test/acc", 1, 0.6}, {"train/steps", 1, 3.0},
                           {"train/loss", 3, 1.0}, {"train/loss", 4, 0.9}, {"train/loss", 5, 0.8},
                           {"test/acc", 2, 0.7}, {"train/steps", 2, 6.0}},
                          {MetricKey("train/loss"), MetricKey("test/acc", MetricAxis::Epoch),
                           MetricKey("train/steps", MetricAxis::Epoch)});
    store->end_run(run_id, RunStatus::Finished, "", 6, 1.0);
  }
  int64_t run_id = 0;
};

TEST_F(EpochAxisTest, ExportPlacesEachEpochRowAfterTheStepThatEndedIt) {
  const Table t = export_run(db(), run_id);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"step", "epoch", "train/loss", "test/acc", "train/steps"}));
  ASSERT_EQ(t.rows.size(), 8u);
  // step rows 0, 1, 2; epoch 1 (ended after 3 steps); step rows 3, 4, 5; epoch 2.
  const std::vector<std::pair<SqlValue, SqlValue>> expected = {{I(0), N}, {I(1), N}, {I(2), N}, {I(3), I(1)},
                                                               {I(3), N}, {I(4), N}, {I(5), N}, {I(6), I(2)}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_CELL(t.rows[i][0], expected[i].first);
    EXPECT_CELL(t.rows[i][1], expected[i].second);
  }
  EXPECT_CELL(t.rows[3][3], D(0.6));
  EXPECT_CELL(t.rows[3][2], N);
  EXPECT_CELL(t.rows[4][2], D(1.0));
}

TEST_F(EpochAxisTest, CurvesOfAnEpochMetricCountEpochsAndRefuseToMixAxes) {
  const auto curves = load_curves(db(), RunSelection{"epochs", {}, ""}, "test/acc", {});
  ASSERT_EQ(curves.size(), 1u);
  EXPECT_EQ(curves[0].axis, MetricAxis::Epoch);
  EXPECT_EQ(curves[0].steps, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(curves_table(curves).columns.front(), "epoch");
  // r1 logged test/acc on the step axis: one chart cannot hold both.
  ASSERT_THROWS_WITH(load_curves(db(), RunSelection{"", {r1, run_id}, ""}, "test/acc", {}), InputError,
                     "'test/acc' is per step in run 1 but per epoch in run 7");
}

}  // namespace
