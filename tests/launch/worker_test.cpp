// The worker: its run labels (swept values as `results list` shows them), and the lane
// groups it claims and trains together.
#include "launch/worker.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>

#include "launch/local_launcher.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

TEST(WorkerLabel, SweptValuesReadAsTheTablesShowThem) {
  // The issue's drawn rate and a float-typed 1000 (JSON's 1000.0), written out by hand.
  const auto swept = nlohmann::json::parse(
      R"({"optimizer.lr": 0.23862864348220497, "train.steps": 1000.0, "seed": 3, "optimizer.name": "adam",
          "train.deterministic": true})");
  // nlohmann::json keeps keys sorted.
  EXPECT_EQ(swept_label(swept),
            "optimizer.lr=0.238629 optimizer.name=adam seed=3 train.deterministic=true train.steps=1000");
  EXPECT_EQ(swept_label(nlohmann::json::object()), "");
}

/// A sweep of the seed's network over three learning rates (and `more` overrides),
/// recorded in `db` as a launcher records it; returns what one worker printed.
struct Worked {
  std::unique_ptr<Store> store;
  WorkerOutcome outcome;
  std::string out;
};
Worked work(const testing::TempDir& dir, const std::vector<std::string>& overrides, int64_t max_lanes) {
  const std::string spec = dir.write(
      "s.yaml", "name: s\nmodel: backprop_2x2x2\ndata: seed_example\nloss: half_sse\ntrain: {steps: 3}\n"
                "optimizer: {name: sgd, lr: [0.1, 0.2, 0.5]}\n");
  const SweepPlan plan = load_sweep(spec, overrides);
  Worked worked;
  worked.store = Store::open(dir.file("w.db"));
  const int64_t sweep = worked.store->create_sweep({plan.name, plan.spec_text, plan.spec_hash, plan.spec_path},
                                                   new_runs(plan)).first;
  std::ostringstream out;
  WorkerOptions options;
  options.sweep_id = sweep;
  options.max_lanes = max_lanes;
  options.status_records = true;  // a group's status line, with its label, at every step
  options.width = 200;
  options.artifacts_root = dir.file("artifacts");
  worked.outcome = run_worker(*worked.store, out, options);
  worked.out = out.str();
  return worked;
}

TEST(WorkerTest, ARecordedLaneGroupIsTakenAndTrainedTogether) {
  testing::TempDir dir;
  const auto worked = work(dir, {"sweep.fuse=on"}, 0);
  EXPECT_EQ(worked.outcome.finished, 3) << worked.out;
  EXPECT_EQ(worked.outcome.run_ids, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(testing::scalar_text(worked.store->db(), "SELECT group_concat(lane_group) FROM runs"), "1,1,1");
  // One claim took the three, and one status line names them.
  EXPECT_NE(worked.out.find("runs 1-3 [1-3/3] (3 lanes)"), std::string::npos) << worked.out;
  EXPECT_EQ(worked.out.find("trained alone"), std::string::npos) << worked.out;
}

TEST(WorkerTest, ARunOfAGroupThatTrainsAloneSaysWhy) {
  {
    // At most two lanes: the third run of the group comes alone, after the other two.
    testing::TempDir dir;
    const auto worked = work(dir, {"sweep.fuse=on"}, 2);
    EXPECT_EQ(worked.outcome.finished, 3) << worked.out;
    EXPECT_NE(worked.out.find("runs 1-2 [1-2/3] (2 lanes)"), std::string::npos) << worked.out;
    EXPECT_NE(worked.out.find("run 3: trained alone (the other runs of its lane group are done or taken by other "
                              "workers)"),
              std::string::npos)
        << worked.out;
  }
  {
    // Each run with its own threads: three groups of one.
    testing::TempDir dir;
    const auto worked = work(dir, {"sweep.fuse=on", "optimizer.lr=0.1", "train.threads=[1,2,3]"}, 0);
    EXPECT_EQ(worked.outcome.finished, 3) << worked.out;
    EXPECT_EQ(testing::scalar_text(worked.store->db(), "SELECT group_concat(lane_group) FROM runs"), "1,2,3");
    for (int run = 1; run <= 3; ++run)
      EXPECT_NE(worked.out.find("run " + std::to_string(run) +
                                ": trained alone (no other run of the sweep shares its device, train.threads, "
                                "train.deterministic and data)"),
                std::string::npos)
          << worked.out;
  }
  {
    // fuse: off records no group and says nothing.
    testing::TempDir dir;
    const auto worked = work(dir, {"sweep.fuse=off"}, 0);
    EXPECT_EQ(worked.outcome.finished, 3) << worked.out;
    EXPECT_EQ(testing::scalar_int(worked.store->db(), "SELECT count(lane_group) FROM runs"), 0);
    EXPECT_EQ(worked.out.find("lanes)"), std::string::npos) << worked.out;
    EXPECT_EQ(worked.out.find("trained alone"), std::string::npos) << worked.out;
  }
}

}  // namespace
}  // namespace torchsweep
