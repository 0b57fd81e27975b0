// Small helpers for tests of the results store and its run queue: a sweep and runs
// to record, and plain-SQL reads (so that checks do not go through the code under test).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "results/sqlite.h"
#include "results/store.h"

namespace torchsweep::testing {

inline int64_t scalar_int(torchsweep::Database& db, const std::string& sql, int64_t bind1 = -1) {
  auto stmt = db.prepare(sql);
  if (bind1 >= 0) stmt.bind(1, bind1);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.get_int(0);
}

inline std::string scalar_text(torchsweep::Database& db, const std::string& sql, int64_t bind1 = -1) {
  auto stmt = db.prepare(sql);
  if (bind1 >= 0) stmt.bind(1, bind1);
  EXPECT_TRUE(stmt.step()) << sql;
  return stmt.get_text(0);
}

inline torchsweep::NewSweep make_sweep(const std::string& name) {
  torchsweep::NewSweep s;
  s.name = name;
  s.spec_text = "name: " + name + "\nmodel: backprop_2x2x2\n";
  s.spec_hash = "spechash-" + name;
  s.spec_path = "experiments/" + name + ".yaml";
  s.overrides_json = R"(["optimizer.lr=[0.1,0.01]"])";
  s.mode = "grid";
  return s;
}

inline torchsweep::NewRun make_run(int64_t index, double lr, int64_t seed) {
  torchsweep::NewRun r;
  r.index = index;
  r.config_hash = "cfg" + std::to_string(index);
  r.config_json = R"({"optimizer":{"lr":)" + std::to_string(lr) + "}}";
  r.swept_json = R"({"optimizer.lr":)" + std::to_string(lr) + "}";
  r.seed = seed;
  r.device = "cpu";
  r.params = {{"optimizer.lr", torchsweep::SqlValue(lr)},
              {"seed", torchsweep::SqlValue(seed)},
              {"optimizer.name", torchsweep::SqlValue(std::string("sgd"))},
              {"model.hidden", torchsweep::SqlValue(std::string("[4,4]"))}};
  return r;
}

/// A train/loss curve of `steps` points, 1 / (1 + step): enough of them (a few
/// thousand) make a write that grows the file.
inline std::vector<torchsweep::MetricPoint> loss_curve(int64_t steps) {
  std::vector<torchsweep::MetricPoint> points;
  for (int64_t step = 0; step < steps; ++step) points.push_back({"train/loss", step, 1.0 / (1.0 + step)});
  return points;
}

/// All (key, step, value-or-NaN-for-NULL) points of a run in key, step order.
struct StoredPoint {
  std::string key;
  int64_t step;
  bool null;
  double value;
};
inline std::vector<StoredPoint> metric_rows(Database& db, int64_t run_id) {
  auto stmt = db.prepare("SELECT key, step, value FROM metrics WHERE run_id = ? ORDER BY key, step");
  stmt.bind(1, run_id);
  std::vector<StoredPoint> out;
  while (stmt.step()) out.push_back({stmt.get_text(0), stmt.get_int(1), stmt.is_null(2), stmt.get_double(2)});
  return out;
}

inline std::vector<std::pair<std::string, int64_t>> metric_keys(Database& db, int64_t run_id) {
  auto stmt = db.prepare("SELECT key, position FROM metric_keys WHERE run_id = ? ORDER BY position");
  stmt.bind(1, run_id);
  std::vector<std::pair<std::string, int64_t>> out;
  while (stmt.step()) out.emplace_back(stmt.get_text(0), stmt.get_int(1));
  return out;
}

}  // namespace torchsweep::testing
