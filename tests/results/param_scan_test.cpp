// A metric's summary per run against a parameter (results plot --x): points, series,
// runs left out, and when the x axis is logarithmic. The database is written here.
#include "results/param_scan.h"

#include "tests/results/results_fixture.h"

namespace {

using namespace torchsweep::testing::results;  // NOLINT: the fixture's vocabulary
using torchsweep::load_scan;
using torchsweep::ScanRequest;

class ParamScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = Store::open(dir.file("scan.db"));
    NewSweep s;
    s.name = "search";
    s.spec_text = "name: search\n";
    s.spec_hash = "h";
    // Rates 0.001 to 1 (three decades), momentum 0 or 0.9; the last run diverged (nan).
    const std::vector<std::tuple<double, double, double>> runs = {
        {0.1, 0.0, 0.30}, {0.001, 0.0, 0.90}, {0.01, 0.9, 0.50}, {0.01, 0.0, 0.70}, {1.0, 0.9, std::nan("")}};
    std::vector<NewRun> news;
    for (size_t i = 0; i < runs.size(); ++i) {
      NewRun r;
      r.index = static_cast<int64_t>(i);
      r.config_hash = "c" + std::to_string(i);
      r.config_json = "{}";
      r.seed = 1;
      r.device = "cpu";
      r.params = {{"optimizer.lr", SqlValue(std::get<0>(runs[i]))},
                  {"optimizer.momentum", SqlValue(std::get<1>(runs[i]))},
                  {"optimizer.name", SqlValue("sgd")}};
      news.push_back(std::move(r));
    }
    ids = store->create_sweep(s, news).second;
    for (size_t i = 0; i < runs.size(); ++i) {
      // Loss 1.0 at step 0, its minimum 0.2 at step 1, then the run's last value.
      store->append_metrics(ids[i], {{"train/loss", 0, 1.0}, {"train/loss", 1, 0.2}, {"train/loss", 2, std::get<2>(runs[i])}},
                            {"train/loss"});
      store->end_run(ids[i], RunStatus::Finished, "", 2, 1.0);
    }
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  std::vector<int64_t> ids;
};

TEST_F(ParamScanTest, EachRunIsAPointOrderedByXAndDivergedRunsAreCounted) {
  ScanRequest request;
  request.x = "optimizer.lr";
  const auto scan = load_scan(store->db(), request);
  ASSERT_EQ(scan.series.size(), 1u);
  EXPECT_EQ(scan.series[0].label, "runs");
  const auto& p = scan.series[0].points;
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].x, 0.001);
  EXPECT_EQ(p[0].y, 0.90);
  EXPECT_EQ(p[1].x, 0.01);
  EXPECT_EQ(p[2].x, 0.01);
  EXPECT_EQ(p[3].x, 0.1);
  EXPECT_EQ(p[3].y, 0.30);
  EXPECT_EQ(p[3].run_id, ids[0]);
  EXPECT_EQ(scan.left_out, 1u) << "the diverged run's last value is nan";
  EXPECT_TRUE(scan.log_x) << "0.001 to 0.1 spans two decades";
}

TEST_F(ParamScanTest, SummaryPicksEachRunsValueAndByMakesSeries) {
  ScanRequest request;
  request.x = "optimizer.lr";
  request.summary = "min";
  request.by = {"optimizer.momentum"};
  const auto scan = load_scan(store->db(), request);
  ASSERT_EQ(scan.series.size(), 2u);
  EXPECT_EQ(scan.series[0].label, "optimizer.momentum = 0");
  EXPECT_EQ(scan.series[1].label, "optimizer.momentum = 0.9");
  EXPECT_EQ(scan.series[0].points.size(), 3u);
  // The minimum of every run is 0.2, the diverged one's too (min skips nan).
  ASSERT_EQ(scan.series[1].points.size(), 2u);
  for (const auto& s : scan.series)
    for (const auto& point : s.points) EXPECT_EQ(point.y, 0.2);
  EXPECT_EQ(scan.left_out, 0u);
}

TEST_F(ParamScanTest, LinearXWhenValuesSpanLessThanADecadeOrReachZero) {
  ScanRequest request;
  request.x = "optimizer.momentum";
  EXPECT_FALSE(load_scan(store->db(), request).log_x) << "momentum 0 has no place on a log axis";
  request.x = "optimizer.lr";
  request.runs.where = "optimizer.lr >= 0.01";
  EXPECT_TRUE(load_scan(store->db(), request).log_x) << "the diverged run at 1 left out: 0.01 to 0.1";
  request.runs.where = "optimizer.lr >= 0.001 and optimizer.lr < 0.05";
  EXPECT_TRUE(load_scan(store->db(), request).log_x) << "0.001 to 0.01";
  request.runs.where = "optimizer.lr = 0.01";
  EXPECT_FALSE(load_scan(store->db(), request).log_x) << "one value";
}

TEST_F(ParamScanTest, BadRequestsAreInputErrors) {
  ScanRequest request;
  request.x = "optimizer.name";
  ASSERT_THROWS_WITH(load_scan(store->db(), request), InputError, "--x: optimizer.name is text");
  request.x = "optimizer.lrr";
  ASSERT_THROWS_WITH(load_scan(store->db(), request), InputError, "did you mean 'optimizer.lr'");
  request.x = "optimizer.lr";
  request.summary = "median";
  ASSERT_THROWS_WITH(load_scan(store->db(), request), InputError, "--summary: expected last, min, max or mean_last_k");
  request.summary = "last";
  request.metric = "test/acc";
  ASSERT_THROWS_WITH(load_scan(store->db(), request), InputError, "no selected run logged 'test/acc'");
}

}  // namespace
