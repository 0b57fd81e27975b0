// The --where language: precedence, types, every operator, errors with columns,
// and injection attempts that can only fail cleanly.
#include "results/filter.h"

#include "results/comparison.h"
#include "results/run_selection.h"
#include "results/run_views.h"
#include "results/store.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::InputError;
using torchsweep::SqlValue;
using torchsweep::testing::TempDir;

/// Six runs: lr 0.05, 0.1, 0.2, 0.5, 1.0, 2.0; model s6_cnn for the first three, mlp after;
/// status finished except run 4 (failed); test/acc last = 0.8 + 0.02 * index.
class FilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = torchsweep::Store::open(dir_.file("f.db"));
    std::vector<torchsweep::NewRun> runs;
    const double lrs[] = {0.05, 0.1, 0.2, 0.5, 1.0, 2.0};
    for (int i = 0; i < 6; ++i) {
      torchsweep::NewRun r;
      r.index = i;
      r.config_hash = "h" + std::to_string(i);
      r.config_json = "{}";
      r.seed = i % 2;
      r.params = {{"optimizer.lr", lrs[i]}, {"model.name", std::string(i < 3 ? "s6_cnn" : "mlp")}, {"seed", int64_t{i % 2}}};
      runs.push_back(r);
    }
    auto [sweep, ids] = store_->create_sweep({"f", "{}", "x", "f.yaml"}, runs);
    ids_ = ids;
    for (int i = 0; i < 6; ++i) {
      store_->append_metrics(ids[i], {{"test/acc", 1, 0.5}, {"test/acc", 2, 0.8 + 0.02 * i}}, {"test/acc"});
      store_->end_run(ids[i], i == 3 ? torchsweep::RunStatus::Failed : torchsweep::RunStatus::Finished, "", 2, 1.0);
    }
  }

  /// The run indexes (0-5) a filter selects.
  std::vector<int> matching(const std::string& where) {
    std::vector<int> out;
    for (const auto& run : torchsweep::select_runs(store_->db(), {"all", {}, where})) out.push_back(static_cast<int>(run.index));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<torchsweep::Store> store_;
  std::vector<int64_t> ids_;
};

TEST_F(FilterTest, TypedComparisonsOnParamsColumnsAndSummaries) {
  EXPECT_EQ(matching("optimizer.lr >= 0.5"), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(matching("optimizer.lr < 0.2"), (std::vector<int>{0, 1}));
  EXPECT_EQ(matching("optimizer.lr = 1"), (std::vector<int>{4}));  // integer literal, real value
  EXPECT_EQ(matching("optimizer.lr == 0.1"), (std::vector<int>{1}));
  EXPECT_EQ(matching("optimizer.lr != 0.1"), (std::vector<int>{0, 2, 3, 4, 5}));
  EXPECT_EQ(matching("optimizer.lr <> 0.1"), (std::vector<int>{0, 2, 3, 4, 5}));
  EXPECT_EQ(matching("optimizer.lr <= 0.1"), (std::vector<int>{0, 1}));
  EXPECT_EQ(matching("optimizer.lr > 1.5"), (std::vector<int>{5}));
  EXPECT_EQ(matching("status = failed"), (std::vector<int>{3}));
  EXPECT_EQ(matching("model.name = 's6_cnn'"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(matching("seed = 1"), (std::vector<int>{1, 3, 5}));
  // 0.8 + 0.02 i > 0.87 for i >= 4.
  EXPECT_EQ(matching("test/acc.last > 0.87"), (std::vector<int>{4, 5}));
  EXPECT_EQ(matching("test/acc.max > 0.87"), (std::vector<int>{4, 5}));
  EXPECT_EQ(matching("test/acc.first = 0.5 and test/acc.count = 2"), (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST_F(FilterTest, InLikeNotAndPrecedence) {
  EXPECT_EQ(matching("optimizer.lr in (0.1, 2)"), (std::vector<int>{1, 5}));
  EXPECT_EQ(matching("optimizer.lr not in (0.1, 2)"), (std::vector<int>{0, 2, 3, 4}));
  EXPECT_EQ(matching("model.name like 's6%'"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(matching("not model.name like 's6%'"), (std::vector<int>{3, 4, 5}));
  // and binds tighter than or.
  EXPECT_EQ(matching("optimizer.lr < 0.1 or optimizer.lr > 1 and status = finished"), (std::vector<int>{0, 5}));
  EXPECT_EQ(matching("(optimizer.lr < 0.1 or optimizer.lr > 0.4) and status = finished"), (std::vector<int>{0, 4, 5}));
  EXPECT_EQ(matching("optimizer.lr >= 0.1 and (status = finished or model.name = s6_cnn) and test/acc.max > 0.85"),
            (std::vector<int>{4, 5}));
  EXPECT_EQ(matching("not (status = finished)"), (std::vector<int>{3}));
  // Names are case-sensitive; a name the database does not know is an error, not an empty match.
  ASSERT_THROWS_WITH(matching("STATUS = finished AND seed = 0"), InputError,
                     "--where: column 1: unknown name 'STATUS' (did you mean 'status'?)");
}

TEST_F(FilterTest, AMistypedNameIsAnErrorWithASuggestion) {
  // Each matched nothing (exit 0, an empty table) before names were checked.
  ASSERT_THROWS_WITH(matching("optimizer.lrr > 0.1"), InputError,
                     "--where: column 1: unknown name 'optimizer.lrr' (did you mean 'optimizer.lr'?); expected a run "
                     "column (status, seed, ...), a metric summary such as test/acc.last, or a parameter of these "
                     "runs (model.name, optimizer.lr, seed)");
  ASSERT_THROWS_WITH(matching("status = finished and test/acc.maxx > 0.5"), InputError,
                     "--where: column 23: 'maxx' is not a statistic of the metric 'test/acc' (did you mean 'max'?)");
  ASSERT_THROWS_WITH(matching("test/acc.bogus < 0.02"), InputError, "expected one of first, last, min, max");
  ASSERT_THROWS_WITH(matching("tset/acc.max > 0.5"), InputError,
                     "unknown name 'tset/acc.max' (did you mean 'test/acc.max'?)");
  // Parameters with dots, run columns and summaries still resolve.
  EXPECT_EQ(matching("optimizer.lr >= 0.1 and status = finished and test/acc.max > 0.85").size(), 2u);
}

TEST_F(FilterTest, ValuesAreBoundNeverPasted) {
  const auto f = torchsweep::parse_filter("optimizer.lr >= 0.1 and status = finished");
  EXPECT_EQ(f.where.find("0.1"), std::string::npos);
  EXPECT_EQ(f.where.find("finished"), std::string::npos);
  EXPECT_EQ(f.where.find("optimizer.lr"), std::string::npos);
  ASSERT_EQ(f.binds.size(), 3u);
  EXPECT_EQ(std::get<std::string>(f.binds[0]), "optimizer.lr");
  EXPECT_DOUBLE_EQ(std::get<double>(f.binds[1]), 0.1);
  EXPECT_EQ(std::get<std::string>(f.binds[2]), "finished");
}

TEST_F(FilterTest, InjectionAttemptsDoNothingButFail) {
  const std::vector<std::string> attempts = {
      "status = 'x'; DROP TABLE runs; --",
      "status = x'; DROP TABLE runs; --",
      "status = 'finished' or 1=1; DROP TABLE runs",
      "status = ''' or ''1''=''1'",
      "optimizer.lr) or (1 = 1",
  };
  for (const auto& a : attempts) {
    try {
      const auto runs = torchsweep::select_runs(store_->db(), {"all", {}, a});
      // Parsed as plain comparisons with bound strings: it may match nothing, but never all.
      EXPECT_LT(runs.size(), 6u) << a;
    } catch (const InputError&) {
    }
  }
  auto stmt = store_->db().prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(stmt.step());
  EXPECT_EQ(stmt.get_int(0), 6);
}

TEST_F(FilterTest, ErrorsPointAtTheColumn) {
  ASSERT_THROWS_WITH(torchsweep::parse_filter("optimizer.lr >="), InputError,
                     "--where: column 16: expected a value after '>=', found the end");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("(status = x"), InputError, "column 12: expected ')'");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("status finished"), InputError,
                     "column 8: expected a comparison (=, !=, <, <=, >, >=, in, like) after 'status'");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("status = 'open"), InputError, "column 10: unterminated string");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("a = 1 b = 2"), InputError, "column 7: expected 'and', 'or' or the end");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("a = 1 and ; b = 2"), InputError, "column 11: unexpected character ';'");
  ASSERT_THROWS_WITH(torchsweep::parse_filter("a in 1"), InputError, "column 6: expected '(' after 'in'");
}

TEST_F(FilterTest, LongChainsWorkAndDeepOrHugeFiltersAreRefusedWithTheLimit) {
  // 199 'or' terms and 150 'and' terms: one flat list each for SQLite (a nested one
  // overflowed its parser stack at about 90 terms).
  std::string ors = "optimizer.lr = 2";
  for (int i = 0; i < 199; ++i) ors += " or optimizer.lr = " + std::to_string(100 + i);
  EXPECT_EQ(matching(ors), (std::vector<int>{5}));
  std::string ands = "optimizer.lr > 0";
  for (int i = 0; i < 149; ++i) ands += " and seed = 0";
  EXPECT_EQ(matching(ands), (std::vector<int>{0, 2, 4}));
  // 48 levels of parentheses and 'not' parse (an even number of nots changes nothing).
  EXPECT_EQ(matching(std::string(24, '(') + "not not optimizer.lr > 1" + std::string(24, ')')),
            (std::vector<int>{5}));
  std::string nots;
  for (int i = 0; i < 40; ++i) nots += "not ";
  EXPECT_EQ(matching(nots + "optimizer.lr > 1"), (std::vector<int>{5}));

  // Groups within groups take more of SQLite's parser stack than parentheses alone: the
  // deepest that parse are accepted, one level more is refused by the filter's own check
  // (SQLite's "parser stack overflow" was the error before).
  auto alternating = [](int levels, const std::string& leaf) {
    std::string filter = leaf;
    for (int i = 0; i < levels; ++i) filter = "seed = 0 or " + leaf + " and (" + filter + ")";
    return filter;
  };
  auto mixed = [](int levels) {
    std::string filter = "optimizer.lr > 1";
    for (int i = 0; i < levels; ++i) filter = "not (seed = 5 or test/acc.last > 2 and (" + filter + "))";
    return filter;
  };
  EXPECT_EQ(matching(alternating(13, "optimizer.lr > 1")), (std::vector<int>{0, 2, 4, 5}));  // seed 0, or lr 2
  EXPECT_EQ(matching(mixed(10)), (std::vector<int>{0, 1, 2, 3, 4, 5}));  // each level: not (false or false)
  ASSERT_THROWS_WITH(matching(alternating(14, "optimizer.lr > 1")), InputError,
                     "and, or and not nest here deeper than SQLite's parser takes");
  ASSERT_THROWS_WITH(matching(mixed(11)), InputError, "deeper than SQLite's parser takes");
  ASSERT_THROWS_WITH(matching(ors + " or seed = 1"), InputError,
                     "more than 200 comparisons; split the question, or use `results sql`");
  ASSERT_THROWS_WITH(matching(std::string(10000 - 20, '(') + "status = finished"), InputError,
                     "--where: column 51: nested more than 50 levels deep (parentheses and 'not')");
  std::string many_nots;
  for (int i = 0; i < 1100; ++i) many_nots += "not ";
  ASSERT_THROWS_WITH(matching(many_nots + "seed = 1"), InputError, "nested more than 50 levels deep");
  ASSERT_THROWS_WITH(matching(std::string(10001, ' ')), InputError,
                     "--where: the filter is 10001 characters long; at most 10000 are taken");
}

TEST_F(FilterTest, CompareMeansAndStdAcrossSeedsWithTheBestMarked) {
  // Group by model: s6_cnn has runs 0-2 (0.80, 0.82, 0.84), mlp has 3-5 (0.86, 0.88, 0.90).
  torchsweep::CompareOptions o;
  o.runs = {"all", {}, ""};
  o.by = {"model.name"};
  o.metric = "test/acc";
  const auto table = torchsweep::compare_runs(store_->db(), o);
  ASSERT_EQ(table.rows.size(), 2u);
  const auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(table.columns.begin(), table.columns.end(), name) - table.columns.begin());
  };
  // Rows sort by the key: "mlp" < "s6_cnn".
  EXPECT_EQ(std::get<std::string>(table.rows[0][0]), "mlp");
  EXPECT_EQ(std::get<int64_t>(table.rows[0][column("n")]), 3);
  EXPECT_NEAR(std::get<double>(table.rows[0][column("last_mean")]), 0.88, 1e-12);
  EXPECT_NEAR(std::get<double>(table.rows[1][column("last_mean")]), 0.82, 1e-12);
  // Sample std of (0.80, 0.82, 0.84) = 0.02.
  EXPECT_NEAR(std::get<double>(table.rows[1][column("last_std")]), 0.02, 1e-12);
  // Accuracy: larger is better.
  EXPECT_EQ(std::get<std::string>(table.rows[0][column("best")]), "*");
  EXPECT_EQ(std::get<std::string>(table.rows[1][column("best")]), "");
  o.goal = "min";
  const auto flipped = torchsweep::compare_runs(store_->db(), o);
  EXPECT_EQ(std::get<std::string>(flipped.rows[1][column("best")]), "*");
  o.agg = "median";
  ASSERT_THROWS_WITH(torchsweep::compare_runs(store_->db(), o), InputError, "--agg: expected last, min, max or mean_last_k");
}

}  // namespace
