// Curves of a metric per run, on its axis, side by side.
#include "results/curve_groups.h"
#include "tests/results/adaptive_fixture.h"
#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary

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

TEST(QueriesCurvesTest, LabelsReadAsTablesDoYetTellEveryValueApart) {
  // Drawn rates: six significant digits in a label, more only where two would
  // otherwise read alike (and so be drawn as one group).
  TempDir dir;
  auto store = Store::open(dir.file("labels.db"));
  NewSweep s;
  s.name = "drawn";
  s.spec_text = "name: drawn\n";
  s.spec_hash = "h";
  std::vector<NewRun> runs;
  for (const double lr : {0.23862864348220497, 0.1234567, 0.1234568, 2.2, 0.2}) {
    NewRun r;
    r.index = static_cast<int64_t>(runs.size());
    r.config_hash = "c" + std::to_string(r.index);
    r.config_json = "{}";
    r.seed = 1;
    r.device = "cpu";
    r.params = {{"optimizer.lr", SqlValue(lr)}, {"momentum", SqlValue(0.23862864348220497)}};
    runs.push_back(std::move(r));
  }
  for (const int64_t id : store->create_sweep(s, runs).second) store->append_metrics(id, {{"train/loss", 0, 1.0}}, {"train/loss"});
  const auto curves = load_curves(store->db(), RunSelection{}, "train/loss", {"optimizer.lr", "momentum"});
  std::vector<std::string> labels;
  for (const auto& c : curves) labels.push_back(c.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"optimizer.lr = 0.1234567, momentum = 0.238629",
                                              "optimizer.lr = 0.1234568, momentum = 0.238629",
                                              "optimizer.lr = 0.2, momentum = 0.238629",
                                              "optimizer.lr = 0.2386286, momentum = 0.238629",
                                              "optimizer.lr = 2.2, momentum = 0.238629"}));
  EXPECT_EQ(torchsweep::group_curves(curves).size(), 5u);
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

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using CurvesAdaptiveTest = torchsweep::testing::adaptive::AdaptiveQueriesTest;

TEST_F(CurvesAdaptiveTest, AStoppedRunsColumnSaysWhereItStopped) {
  const auto curves = load_curves(db(), RunSelection{}, "test/loss", {"optimizer.lr"});
  ASSERT_EQ(curves.size(), 6u);
  // r0, r1, r2, r4 were stopped; r3 finished; r5 is paused (not stopped).
  const std::vector<bool> stopped = {true, true, true, false, true, false};
  for (size_t i = 0; i < curves.size(); ++i) {
    EXPECT_EQ(curves[i].run_id, made.runs[i]);
    EXPECT_EQ(curves[i].stopped, stopped[i]) << "run " << i;
  }
  const Table t = curves_table(curves);
  EXPECT_EQ(t.columns, (std::vector<std::string>{"epoch", "optimizer.lr = 0.01 (stopped at 1)",
                                                 "optimizer.lr = 0.03 (stopped at 3)",
                                                 "optimizer.lr = 0.1 (stopped at 1)", "optimizer.lr = 0.3",
                                                 "optimizer.lr = 1 (stopped at 1)", "optimizer.lr = 3"}));
  // Epoch 3: only r1 and r3 got there.
  ASSERT_EQ(t.rows.size(), 3u);
  const std::vector<SqlValue> third = {I(3), N, D(0.35), N, D(0.3), N, N};
  for (size_t c = 0; c < third.size(); ++c) EXPECT_CELL(t.rows[2][c], third[c]) << "col " << c;
  // On the step axis, where r1 stopped is its last step, 8 (three epochs of three steps).
  const auto steps = load_curves(db(), RunSelection{"", {made.runs[1]}, ""}, "train/loss", {});
  EXPECT_EQ(curves_table(steps).columns[1], "run " + std::to_string(made.runs[1]) + " (stopped at 8)");
}

}  // namespace
