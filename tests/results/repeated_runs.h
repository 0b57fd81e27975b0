// A small database of repeated runs, written by hand through Store, shared by the tests
// of grouped curves (results/curve_groups) and of the serve API (cli/serve_api), which
// work out their expected values from it by hand:
//
//   a1  lr 0.1   seed 1  train/loss @0 1.0  @1 3.0  @2 0.5
//   b1  lr 0.01  seed 1  train/loss @0 5.0  @1 b1_at_1 (NaN is stored as NULL)
//   c1  lr 1.0   seed 1  train/loss @0 9.0  @1 8.0
//   a2  lr 0.1   seed 2  train/loss @0 2.0  @1 3.0  @2 1.5  @3 0.25
//   b2  lr 0.01  seed 2  train/loss @0 7.0  @1 6.0
//   a3  lr 0.1   seed 3  train/loss @0 4.0  @1 3.0
//
// One sweep ("repeats"), the runs created in this order (ids a1 < b1 < c1 < a2 < b2 < a3),
// every run finished.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "results/store.h"
#include "tests/test_helpers.h"

namespace torchsweep::testing::results {

struct RepeatedRuns {
  std::unique_ptr<Store> store;
  int64_t a1 = 0, b1 = 0, c1 = 0, a2 = 0, b2 = 0, a3 = 0;
};

inline NewRun repeated_run(int64_t index, double lr, int64_t seed) {
  NewRun r;
  r.index = index;
  r.config_hash = "hash-" + std::to_string(index);
  r.config_json = "{}";
  r.swept_json = R"({"optimizer.lr":)" + std::to_string(lr) + R"(,"seed":)" + std::to_string(seed) + "}";
  r.seed = seed;
  r.device = "cpu";
  r.params = {{"optimizer.lr", SqlValue(lr)}, {"seed", SqlValue(seed)}};
  return r;
}

/// Writes the database above to `path`, b1's loss at step 1 being `b1_at_1`.
inline RepeatedRuns write_repeated_runs(const std::string& path, double b1_at_1) {
  RepeatedRuns db;
  db.store = Store::open(path);
  NewSweep sweep;
  sweep.name = "repeats";
  sweep.spec_text = "name: repeats\n";
  sweep.spec_hash = "hr";
  const auto s = db.store->create_sweep(sweep, {repeated_run(0, 0.1, 1), repeated_run(1, 0.01, 1),
                                                repeated_run(2, 1.0, 1), repeated_run(3, 0.1, 2),
                                                repeated_run(4, 0.01, 2), repeated_run(5, 0.1, 3)});
  db.a1 = s.second[0];
  db.b1 = s.second[1];
  db.c1 = s.second[2];
  db.a2 = s.second[3];
  db.b2 = s.second[4];
  db.a3 = s.second[5];
  auto loss = [&](int64_t run_id, const std::vector<int64_t>& steps, const std::vector<double>& values) {
    std::vector<MetricPoint> points;
    for (size_t i = 0; i < steps.size(); ++i) points.push_back({"train/loss", steps[i], values[i]});
    db.store->append_metrics(run_id, points, {"train/loss"});
  };
  loss(db.a1, {0, 1, 2}, {1.0, 3.0, 0.5});
  loss(db.b1, {0, 1}, {5.0, b1_at_1});
  loss(db.c1, {0, 1}, {9.0, 8.0});
  loss(db.a2, {0, 1, 2, 3}, {2.0, 3.0, 1.5, 0.25});
  loss(db.b2, {0, 1}, {7.0, 6.0});
  loss(db.a3, {0, 1}, {4.0, 3.0});
  for (const int64_t id : {db.a1, db.b1, db.c1, db.a2, db.b2, db.a3})
    db.store->end_run(id, RunStatus::Finished, "", 4, 1.0);
  return db;
}

/// A fixture over that database, written afresh before each test: `store` and the
/// runs' ids as members.
class RepeatedRunsTest : public ::testing::Test {
 protected:
  explicit RepeatedRunsTest(double b1_at_1) : b1_at_1_(b1_at_1) {}

  void SetUp() override {
    auto db = write_repeated_runs(dir.file("results.db"), b1_at_1_);
    store = std::move(db.store);
    a1 = db.a1;
    b1 = db.b1;
    c1 = db.c1;
    a2 = db.a2;
    b2 = db.b2;
    a3 = db.a3;
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  int64_t a1 = 0, b1 = 0, c1 = 0, a2 = 0, b2 = 0, a3 = 0;

 private:
  double b1_at_1_;
};

}  // namespace torchsweep::testing::results
