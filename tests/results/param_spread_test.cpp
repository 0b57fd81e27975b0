// Groups that pool different configurations, and what runs have in common: the
// database is written here by hand, and every expectation follows from it.
#include "results/param_spread.h"

#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::PooledGroup;
using torchsweep::RunGroup;

class ParamSpreadTest : public ::testing::Test {
 protected:
  void SetUp() override { store = Store::open(dir.file("spread.db")); }

  /// A sweep of runs, each {lr, momentum, seed}, swept keys as given; train/loss
  /// 1.0, then `last` at step 1.
  int64_t sweep(const std::string& name, const std::string& overrides,
                const std::vector<std::tuple<double, double, int64_t>>& runs, const std::vector<std::string>& swept,
                std::vector<int64_t>* ids = nullptr) {
    NewSweep s;
    s.name = name;
    s.spec_text = "name: " + name + "\n";
    s.spec_hash = "h-" + name;
    s.overrides_json = overrides;
    std::vector<NewRun> news;
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& [lr, momentum, seed] = runs[i];
      NewRun r;
      r.index = static_cast<int64_t>(i);
      r.config_hash = name + std::to_string(i);
      r.config_json = "{}";
      nlohmann::json j = nlohmann::json::object();
      for (const auto& key : swept) {
        if (key == "optimizer.lr") j[key] = lr;
        if (key == "optimizer.momentum") j[key] = momentum;
        if (key == "seed") j[key] = seed;
      }
      r.swept_json = j.dump();
      r.seed = seed;
      r.device = "cpu";
      r.params = {{"name", SqlValue(name)},
                  {"optimizer.lr", SqlValue(lr)},
                  {"optimizer.momentum", SqlValue(momentum)},
                  {"optimizer.name", SqlValue("sgd")},
                  {"seed", SqlValue(seed)},
                  {"train.steps", SqlValue(int64_t{1})}};
      news.push_back(std::move(r));
    }
    const auto created = store->create_sweep(s, news);
    for (const int64_t id : created.second) {
      store->append_metrics(id, {{"train/loss", 0, 1.0}, {"train/loss", 1, 0.5}}, {"train/loss"});
      store->end_run(id, RunStatus::Finished, "", 1, 1.0);
      if (ids) ids->push_back(id);
    }
    return created.first;
  }

  std::vector<PooledGroup> pooled_by(const std::vector<std::string>& by, const std::string& sweep = "all") {
    CompareOptions options;
    options.runs.sweep = sweep;
    options.by = by;
    std::vector<RunGroup> groups;
    compare_runs(store->db(), options, &groups);
    return torchsweep::pooled_groups(store->db(), groups, by);
  }

  TempDir dir;
  std::unique_ptr<Store> store;
};

TEST_F(ParamSpreadTest, TwoSweepsThatDifferInMomentumArePooledAndSaidSo) {
  // The issue's case: the same rates without and with momentum 0.9 (an override of the
  // second sweep, not swept), compared by rate across both sweeps.
  sweep("plain", "[]", {{0.1, 0.0, 1}, {0.5, 0.0, 1}}, {"optimizer.lr"});
  sweep("momentum", R"(["optimizer.momentum=0.9"])", {{0.1, 0.9, 1}, {0.5, 0.9, 1}}, {"optimizer.lr"});
  const auto pooled = pooled_by({"optimizer.lr"});
  ASSERT_EQ(pooled.size(), 2u);
  for (const auto& group : pooled) {
    EXPECT_EQ(group.runs, 2u);
    ASSERT_EQ(group.differing.size(), 1u) << group.label << ": the name differs too, but names no configuration";
    EXPECT_EQ(group.differing[0].key, "optimizer.momentum");
    ASSERT_EQ(group.differing[0].values.size(), 2u);
    EXPECT_CELL(group.differing[0].values[0], D(0.0));
    EXPECT_CELL(group.differing[0].values[1], D(0.9));
  }
  EXPECT_EQ(pooled[0].label, "optimizer.lr = 0.1");
  EXPECT_EQ(pooled[1].label, "optimizer.lr = 0.5");
  const std::string warning = torchsweep::pooled_warning("results compare", pooled, {"optimizer.lr"});
  EXPECT_EQ(warning,
            "results compare: 2 group(s) pool runs that differ in more than their seeds:\n"
            "  optimizer.lr = 0.1 (n=2): optimizer.momentum 0, 0.9\n"
            "  optimizer.lr = 0.5 (n=2): optimizer.momentum 0, 0.9\n"
            "  to tell them apart: --by optimizer.lr,optimizer.momentum\n");
  // Grouped by both, no group pools anything.
  EXPECT_TRUE(pooled_by({"optimizer.lr", "optimizer.momentum"}).empty());
}

TEST_F(ParamSpreadTest, SeedsAndRepeatsAreExpectedToDiffer) {
  sweep("repeats", "[]", {{0.1, 0.0, 1}, {0.1, 0.0, 2}, {0.1, 0.0, 3}, {0.5, 0.0, 1}, {0.5, 0.0, 2}},
        {"optimizer.lr", "seed"});
  EXPECT_TRUE(pooled_by({"optimizer.lr"}).empty());
  EXPECT_EQ(torchsweep::pooled_warning("results compare", {}, {"optimizer.lr"}), "");
}

TEST_F(ParamSpreadTest, AKeySweptWithinOneSweepIsFound) {
  sweep("grid", "[]", {{0.1, 0.0, 1}, {0.1, 0.5, 1}, {0.1, 0.9, 1}, {0.5, 0.0, 1}}, {"optimizer.lr", "optimizer.momentum"});
  const auto pooled = pooled_by({"optimizer.lr"}, "");
  ASSERT_EQ(pooled.size(), 1u) << "lr 0.5 has one run";
  EXPECT_EQ(pooled[0].label, "optimizer.lr = 0.1");
  EXPECT_EQ(pooled[0].runs, 3u);
  ASSERT_EQ(pooled[0].differing.size(), 1u);
  EXPECT_EQ(pooled[0].differing[0].values.size(), 3u);
}

TEST_F(ParamSpreadTest, AWarningListsAtMostSomeGroupsThenCounts) {
  std::vector<PooledGroup> pooled;
  for (int i = 0; i < 7; ++i)
    pooled.push_back({"k = " + std::to_string(i), 2, {{"other", {I(1), T("b")}}}});
  const std::string warning = torchsweep::pooled_warning("results plot", pooled, {"k"}, 5);
  EXPECT_NE(warning.find("results plot: 7 group(s)"), std::string::npos) << warning;
  EXPECT_NE(warning.find("  k = 4 (n=2): other 1, b\n  and 2 more group(s)\n"), std::string::npos) << warning;
  EXPECT_EQ(warning.find("k = 5"), std::string::npos) << warning;
  EXPECT_NE(warning.find("--by k,other\n"), std::string::npos) << warning;
}

TEST_F(ParamSpreadTest, RunsInCommonNameTheirSweepsAndTheChosenValuesTheyShare) {
  std::vector<int64_t> ids;
  const int64_t id = sweep("seed-backprop", R"(["optimizer.momentum=0.9", "~train.epochs", "+train.steps=1"])",
                           {{0.1, 0.9, 1}, {0.5, 0.9, 1}}, {"optimizer.lr"}, &ids);
  auto common = torchsweep::runs_in_common(store->db(), ids);
  ASSERT_EQ(common.sweeps.size(), 1u);
  EXPECT_EQ(common.sweeps[0].first, id);
  EXPECT_EQ(common.sweeps[0].second, "seed-backprop");
  // Chosen: optimizer.lr (swept; differs), optimizer.momentum and train.steps (overridden;
  // shared). optimizer.name is the spec's own: not named.
  ASSERT_EQ(common.fixed.size(), 2u);
  EXPECT_EQ(common.fixed[0].first, "optimizer.momentum");
  EXPECT_CELL(common.fixed[0].second, D(0.9));
  EXPECT_EQ(common.fixed[1].first, "train.steps");
  EXPECT_CELL(common.fixed[1].second, I(1));
  // One run: its swept rate is shared too.
  common = torchsweep::runs_in_common(store->db(), {ids[1]});
  ASSERT_EQ(common.fixed.size(), 3u);
  EXPECT_EQ(common.fixed[0].first, "optimizer.lr");
  EXPECT_CELL(common.fixed[0].second, D(0.5));
}

}  // namespace
