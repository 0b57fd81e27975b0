// lr-find's record in the database (a sweep of mode lr_find, one run of kind lr_find,
// its points on the step axis) read back with plain SQL, and its views for a terminal.
#include "launch/lr_find.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

using testing::scalar_int;
using testing::scalar_text;

SweepPlan seed_plan() {
  return load_sweep(testing::source_dir() + "/experiments/seed_backprop.yaml", {});
}

TEST(LrFindRecordTest, OneRunOfKindLrFindWithItsPointsAndSuggestions) {
  testing::TempDir dir;
  auto store = Store::open(dir.file("t.db"));
  LrFindRunOptions options;
  options.test.end_lr = 1e4;
  options.command_line = "torchsweep lr-find seed_backprop.yaml --end 1e4";
  const LrFindRecord record = record_lr_find(seed_plan(), *store, options);
  ASSERT_EQ(record.outcome.status, RunStatus::Finished) << record.outcome.error;
  const LrFindResult& r = record.outcome.result;
  const int64_t n = static_cast<int64_t>(r.points.size());
  ASSERT_GT(n, 10);
  ASSERT_LT(n, 100) << "the seed network stops early with the rate running to 1e4";

  Database& db = store->db();
  const int64_t run = record.run_id;
  EXPECT_EQ(scalar_text(db, "SELECT mode FROM sweeps WHERE id = ?", record.sweep_id), "lr_find");
  EXPECT_EQ(scalar_int(db, "SELECT count(*) FROM runs WHERE sweep_id = ?", record.sweep_id), 1);
  EXPECT_EQ(scalar_text(db, "SELECT kind FROM runs WHERE id = ?", run), "lr_find");
  EXPECT_EQ(scalar_text(db, "SELECT status FROM runs WHERE id = ?", run), "finished");
  EXPECT_EQ(scalar_int(db, "SELECT steps FROM runs WHERE id = ?", run), n);
  EXPECT_EQ(scalar_text(db, "SELECT command FROM runs WHERE id = ?", run), options.command_line);
  // The resolved config, with how the test ran.
  const auto config = nlohmann::json::parse(scalar_text(db, "SELECT config_json FROM runs WHERE id = ?", run));
  EXPECT_EQ(config.at("model").at("name"), "backprop_2x2x2");
  EXPECT_EQ(config.at("lr_find").at("start").get<double>(), 1e-7);
  EXPECT_EQ(config.at("lr_find").at("end").get<double>(), 1e4);
  EXPECT_EQ(config.at("lr_find").at("steps").get<int64_t>(), 100);
  EXPECT_EQ(config.at("lr_find").at("stop_factor").get<double>(), 4.0);
  EXPECT_EQ(scalar_text(db, "SELECT value FROM params WHERE run_id = ? AND key = 'lr_find.end'", run), "10000.0");
  // One point per step on the step axis, the same numbers as returned.
  for (const char* key : {"lr_find/lr", "lr_find/loss", "lr_find/smoothed_loss"}) {
    auto count = db.prepare("SELECT count(*), min(step), max(step) FROM metrics WHERE run_id = ? AND key = ?");
    count.bind(1, run).bind(2, std::string(key));
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.get_int(0), n) << key;
    EXPECT_EQ(count.get_int(1), 0) << key;
    EXPECT_EQ(count.get_int(2), n - 1) << key;
  }
  EXPECT_EQ(scalar_text(db, "SELECT axis FROM metric_keys WHERE run_id = ? AND key = 'lr_find/lr'", run), "step");
  auto at = [&](const std::string& key, int64_t step) {
    auto q = db.prepare("SELECT value FROM metrics WHERE run_id = ? AND key = ? AND step = ?");
    q.bind(1, run).bind(2, key).bind(3, step);
    EXPECT_TRUE(q.step()) << key << "@" << step;
    return q.get_double(0);
  };
  EXPECT_EQ(at("lr_find/lr", 0), 1e-7);
  EXPECT_EQ(at("lr_find/lr", 37), r.points[37].lr);
  EXPECT_EQ(at("lr_find/smoothed_loss", n - 1), r.points.back().smoothed);
  EXPECT_NEAR(at("lr_find/loss", 0), 0.01418137794, 1e-10);
  // The suggestions at the last step.
  EXPECT_EQ(at("lr_find/valley", n - 1), r.suggestions.valley->lr);
  EXPECT_EQ(at("lr_find/steep", n - 1), r.suggestions.steep->lr);
  EXPECT_EQ(at("lr_find/minimum", n - 1), r.suggestions.minimum->lr);
  EXPECT_EQ(at("lr_find/range_low", n - 1), r.range_low);
  EXPECT_EQ(at("lr_find/range_high", n - 1), r.range_high);
  EXPECT_EQ(at("lr_find/stop", n - 1), 1.0);
  // `run` on the same spec records a sweep of its own, never this one.
  EXPECT_NE(scalar_text(db, "SELECT spec_hash FROM sweeps WHERE id = ?", record.sweep_id), seed_plan().spec_hash);
}

TEST(LrFindRecordTest, BadOptionsWriteNothing) {
  testing::TempDir dir;
  auto store = Store::open(dir.file("t.db"));
  LrFindRunOptions options;
  options.test.steps = 1;
  ASSERT_THROWS_WITH(record_lr_find(seed_plan(), *store, options), InputError, "--steps 1");
  EXPECT_EQ(scalar_int(store->db(), "SELECT count(*) FROM sweeps"), 0);
}

LrFindResult curve() {
  // Nine points a decade apart: falling to a minimum at lr 1, then rising.
  LrFindResult r;
  const std::vector<double> losses = {2.0, 2.1, 2.0, 1.8, 1.5, 0.7, 0.5, 0.9, 3.0};
  for (size_t i = 0; i < losses.size(); ++i)
    r.points.push_back({static_cast<int64_t>(i), std::pow(10.0, static_cast<double>(i) - 6), losses[i], losses[i]});
  std::vector<double> lrs;
  for (const auto& p : r.points) lrs.push_back(p.lr);
  r.suggestions = suggest_lrs(lrs, losses);
  LrFindOptions o;
  o.start_lr = 1e-6;
  o.end_lr = 100;
  o.steps = 9;
  std::tie(r.range_low, r.range_high) = suggested_range(r.suggestions, o);
  return r;
}

TEST(LrFindViewTest, TheRangeLineCanBePastedIntoASpec) {
  EXPECT_EQ(lr_find_range_line(curve()), "optimizer.lr: {distribution: log_uniform, low: 0.001, high: 1}");
  EXPECT_EQ(lr_find_range_line(LrFindResult{}), "");
}

TEST(LrFindViewTest, TheTextPlotPutsTheCurveOnALogAxisWithTheSuggestionsMarked) {
  // 9 columns for 9 decades: column i is point i; 6 rows from 3.0 (top) to 0.5 (bottom),
  // each row 0.5 of loss.
  const std::string plot = lr_find_text_plot(curve(), 9, 6);
  std::vector<std::string> lines;
  std::istringstream in(plot);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 9u) << plot;
  // Row r holds losses nearest 3.0 − 0.5·r: 3.0 → row 0; 2.0, 2.1 → row 2; 1.8 → row 2
  // (2.4 rounds to 2); 1.5 → row 3; 0.9 → row 4; 0.7 → row 5 (4.6 rounds to 5); 0.5 → row 5.
  // V (valley, lr 1e-3, column 3), S (steep, 1e-2, column 4), M (minimum's point, lr 1, column 6).
  EXPECT_EQ(lines[0], "  3 |        *") << plot;
  EXPECT_EQ(lines[1], "    |         ") << plot;
  EXPECT_EQ(lines[2], "    |***V     ") << plot;
  EXPECT_EQ(lines[3], "    |    S    ") << plot;
  EXPECT_EQ(lines[4], "    |       * ") << plot;
  EXPECT_EQ(lines[5], "0.5 |     *M  ") << plot;
  EXPECT_EQ(lines[6], "    +---------") << plot;
  EXPECT_NE(lines[7].find("1e-06"), std::string::npos) << plot;
  EXPECT_NE(lines[7].find("100"), std::string::npos) << plot;
  EXPECT_NE(lines[8].find("V valley 0.001"), std::string::npos) << plot;
  EXPECT_NE(lines[8].find("M minimum at 1"), std::string::npos) << plot;
  EXPECT_EQ(lr_find_text_plot(LrFindResult{}), "");
}

}  // namespace
}  // namespace torchsweep
