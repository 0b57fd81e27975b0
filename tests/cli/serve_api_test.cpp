// The JSON API of `results serve` over a small database written by hand through Store.
// Every expected number is worked out below from the values written in SetUp.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/serve_api.h"
#include "results/store.h"
#include "tests/results/repeated_runs.h"
#include "tests/test_helpers.h"

namespace {

using nlohmann::json;
using torchsweep::ApiParams;
using torchsweep::InputError;
using torchsweep::SqlValue;

// The database: tests/results/repeated_runs.h, b1's loss at step 1 4.0.
//
// Group lr = 0.1 (a1, a2, a3), by hand:
//   step 0: 1, 2, 4   n 3  mean 7/3  min 1  max 4  sample std: squares of -4/3, -1/3, 5/3 sum to
//                                                  42/9, / (3 - 1) = 7/3, std sqrt(7/3)
//   step 1: 3, 3, 3   n 3  mean 3    std 0
//   step 2: 0.5, 1.5  n 2  mean 1    std sqrt(0.25 + 0.25) = sqrt(0.5)
//   step 3: 0.25      n 1  mean 0.25 std undefined (null)
// Group lr = 0.01 (b1, b2): step 0: 5, 7: mean 6, std sqrt(2); step 1: 4, 6: mean 5, std sqrt(2).
class ServeApiTest : public torchsweep::testing::results::RepeatedRunsTest {
 protected:
  ServeApiTest() : RepeatedRunsTest(4.0) {}
};

/// /api/runs' rows as objects keyed by its columns.
json runs_of(const json& out) {
  json runs = json::array();
  for (const auto& row : out["rows"]) {
    json run = json::object();
    for (size_t c = 0; c < out["columns"].size(); ++c) run[out["columns"][c].get<std::string>()] = row[c];
    runs.push_back(std::move(run));
  }
  return runs;
}

const json* run_with_id(const json& runs, int64_t id) {
  for (const auto& r : runs)
    if (r["id"] == id) return &r;
  return nullptr;
}

TEST_F(ServeApiTest, SweepsAreTheRowsOfResultsSweeps) {
  const json sweeps = torchsweep::sweeps_json(store->db())["sweeps"];
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0]["name"], "repeats");
  EXPECT_EQ(sweeps[0]["runs"], 6);
}

TEST_F(ServeApiTest, RunsCarryStatusSweptParametersAndTheMetricsSummary) {
  const json out = torchsweep::runs_json(store->db(), {});
  EXPECT_EQ(out["params"], json({"optimizer.lr", "seed"}));
  EXPECT_EQ(out["metrics"], json({"train/loss"}));
  const json runs = runs_of(out);
  ASSERT_EQ(runs.size(), 6u);
  const json* r = run_with_id(runs, a2);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ((*r)["status"], "finished");
  EXPECT_DOUBLE_EQ((*r)["swept"]["optimizer.lr"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ((*r)["last"].get<double>(), 0.25);  // a2: 2, 3, 1.5, 0.25
  EXPECT_DOUBLE_EQ((*r)["min"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ((*r)["max"].get<double>(), 3.0);
  EXPECT_EQ((*r)["last_step"], 3);
  const json* c = run_with_id(runs, c1);
  ASSERT_NE(c, nullptr);
  EXPECT_DOUBLE_EQ((*c)["last"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ((*c)["max"].get<double>(), 9.0);
}

TEST_F(ServeApiTest, RunsAreFilteredByTheWhereLanguageAndErrorsKeepTheirColumn) {
  const json out = torchsweep::runs_json(store->db(), {{"where", "optimizer.lr > 0.05 and seed = 1"}});
  const json runs = runs_of(out);
  ASSERT_EQ(runs.size(), 2u);  // a1 (0.1) and c1 (1.0)
  EXPECT_EQ(runs[0]["id"], a1);
  EXPECT_EQ(runs[1]["id"], c1);
  try {
    torchsweep::runs_json(store->db(), {{"where", "optimizer.lr >= "}});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const json error = torchsweep::error_json(e.what());
    EXPECT_NE(error["error"].get<std::string>().find("--where"), std::string::npos);
    // "optimizer.lr >= " is 16 characters: the missing value is at column 17 or at the
    // end of the text, never before the operator ends at column 15.
    ASSERT_TRUE(error.contains("column"));
    EXPECT_GE(error["column"].get<int64_t>(), 15);
  }
  EXPECT_FALSE(torchsweep::error_json("--sweep: no sweep '9'").contains("column"));
}

TEST_F(ServeApiTest, GroupsByLearningRateAreMeanStdMinMaxAndN) {
  const json out = torchsweep::groups_json(store->db(), {});
  EXPECT_EQ(out["by"], "optimizer.lr");
  EXPECT_EQ(out["axis"], "step");
  ASSERT_EQ(out["groups"].size(), 3u);  // 0.01, 0.1, 1 in value order
  const json& g = out["groups"][1];
  EXPECT_DOUBLE_EQ(g["value"].get<double>(), 0.1);
  EXPECT_EQ(g["runs"], json({a1, a2, a3}));
  EXPECT_EQ(g["steps"], json({0, 1, 2, 3}));
  EXPECT_EQ(g["n"], json({3, 3, 2, 1}));
  EXPECT_NEAR(g["mean"][0].get<double>(), 7.0 / 3.0, 1e-12);
  EXPECT_NEAR(g["mean"][1].get<double>(), 3.0, 1e-12);
  EXPECT_NEAR(g["mean"][2].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(g["mean"][3].get<double>(), 0.25, 1e-12);
  EXPECT_NEAR(g["std"][0].get<double>(), std::sqrt(7.0 / 3.0), 1e-12);
  EXPECT_NEAR(g["std"][1].get<double>(), 0.0, 1e-12);
  EXPECT_NEAR(g["std"][2].get<double>(), std::sqrt(0.5), 1e-12);
  EXPECT_TRUE(g["std"][3].is_null());
  EXPECT_EQ(g["min"], json({1.0, 3.0, 0.5, 0.25}));
  EXPECT_EQ(g["max"], json({4.0, 3.0, 1.5, 0.25}));
  const json& low = out["groups"][0];
  EXPECT_NEAR(low["mean"][1].get<double>(), 5.0, 1e-12);
  EXPECT_NEAR(low["std"][1].get<double>(), std::sqrt(2.0), 1e-12);
  // The seeds' key: each run its own group.
  EXPECT_EQ(torchsweep::groups_json(store->db(), {{"by", "seed"}})["groups"].size(), 3u);
  EXPECT_THROW(torchsweep::groups_json(store->db(), {{"by", "optimizer.nope"}}), InputError);
}

TEST_F(ServeApiTest, CurvesAreThinnedToTheChartWidthKeepingExtremes) {
  const json all = torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}});
  ASSERT_EQ(all["curves"].size(), 1u);
  EXPECT_EQ(all["curves"][0]["steps"], json({0, 1, 2, 3}));
  // One pixel wide: a2's 2, 3, 1.5, 0.25 keep the first point, the max (3 at step 1) and
  // the min, which is also the last (0.25 at step 3).
  const json thin = torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"width", "1"}});
  EXPECT_EQ(thin["curves"][0]["steps"], json({0, 1, 3}));
  EXPECT_EQ(thin["curves"][0]["values"], json({2.0, 3.0, 0.25}));
  EXPECT_EQ(thin["curves"][0]["points"], 4);
  EXPECT_THROW(torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"width", "0"}}), InputError);
  EXPECT_THROW(torchsweep::curves_json(store->db(), {{"runs", "x"}}), InputError);
}

TEST_F(ServeApiTest, SmoothingAveragesEachRunBeforeGrouping) {
  // a2's 2, 3, 1.5, 0.25 with weight 0.5, each point the average of the values so far
  // weighted 0.5^(k - i): 2; (1 + 3) / 1.5; (0.5 + 1.5 + 1.5) / 1.75; (0.25 + 0.75 + 0.75 + 0.25) / 1.875.
  const json curve = torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"smooth", "0.5"}});
  EXPECT_EQ(curve["smooth"], 0.5);
  const json& v = curve["curves"][0]["values"];
  EXPECT_NEAR(v[0].get<double>(), 2.0, 1e-12);
  EXPECT_NEAR(v[1].get<double>(), 4.0 / 1.5, 1e-12);
  EXPECT_NEAR(v[2].get<double>(), 3.5 / 1.75, 1e-12);
  EXPECT_NEAR(v[3].get<double>(), 2.0 / 1.875, 1e-12);
  // Group lr = 0.01 (b1 5, 4; b2 7, 6), each run smoothed first: at step 1 b1 is
  // (2.5 + 4) / 1.5 and b2 (3.5 + 6) / 1.5; their mean is 8 / 1.5.
  const json groups = torchsweep::groups_json(store->db(), {{"smooth", "0.5"}});
  EXPECT_NEAR(groups["groups"][0]["mean"][1].get<double>(), 8.0 / 1.5, 1e-12);
  for (const char* bad : {"1", "-0.1", "x", "0.5x"})
    EXPECT_THROW(torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"smooth", bad}}), InputError)
        << bad;
}

TEST_F(ServeApiTest, TheEpochAxisNeedsEpochRows) {
  // These runs wrote no `train/steps` rows: placing their steps in epochs is refused
  // with the run it concerns.
  try {
    torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"x", "epoch"}});
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("run " + std::to_string(a2)), std::string::npos) << e.what();
  }
  EXPECT_THROW(torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"x", "wall"}}), InputError);
  // With epoch ends 2 and 4 (two steps an epoch), a2's steps 0..3 lie at 0, 0.5, 1, 1.5.
  store->append_metrics(a2, {{"train/steps", 1, 2.0}, {"train/steps", 2, 4.0}}, {"train/steps"});
  const json out = torchsweep::curves_json(store->db(), {{"runs", std::to_string(a2)}, {"x", "epoch"}});
  EXPECT_EQ(out["axis"], "epoch");
  EXPECT_EQ(out["curves"][0]["x"], json({0.0, 0.5, 1.0, 1.5}));
}

TEST_F(ServeApiTest, ARunIsItsRecordParametersSummariesAndConfig) {
  const json out = torchsweep::run_json(store->db(), {{"id", std::to_string(a2)}});
  EXPECT_EQ(out["run"], a2);
  ASSERT_GE(out["sections"].size(), 3u);
  EXPECT_EQ(out["sections"][0]["title"], "run");
  EXPECT_EQ(out["sections"][1]["title"], "params");
  EXPECT_EQ(out["sections"][2]["title"], "summaries");
  bool saw_status = false;
  for (const auto& row : out["sections"][0]["rows"])
    if (row["field"] == "status") saw_status = row["value"] == "finished";
  EXPECT_TRUE(saw_status);
  // a2's summary of train/loss: 4 points, last 0.25, min 0.25, max 3.
  const json& summary = out["sections"][2]["rows"][0];
  EXPECT_EQ(summary["metric"], "train/loss");
  EXPECT_EQ(summary["count"], 4);
  EXPECT_EQ(summary["last"], 0.25);
  EXPECT_EQ(summary["max"], 3.0);
  EXPECT_TRUE(out["config"].is_object());
  EXPECT_THROW(torchsweep::run_json(store->db(), {{"id", "999999"}}), InputError);
  EXPECT_THROW(torchsweep::run_json(store->db(), {{"id", "1,2"}}), InputError);
}

TEST_F(ServeApiTest, UpdatesAreThePointsAfterEachRunsCursor) {
  const json out = torchsweep::updates_json(
      store->db(), {{"runs", std::to_string(a2) + "," + std::to_string(a1)}, {"after", "1,-1"}});
  ASSERT_EQ(out["runs"].size(), 2u);
  EXPECT_EQ(out["runs"][0]["steps"], json({2, 3}));
  EXPECT_EQ(out["runs"][0]["values"], json({1.5, 0.25}));
  EXPECT_EQ(out["runs"][1]["steps"], json({0, 1, 2}));
  EXPECT_EQ(out["runs"][1]["status"], "finished");
  EXPECT_THROW(torchsweep::updates_json(store->db(), {{"runs", "1,2"}, {"after", "0"}}), InputError);
}

}  // namespace
