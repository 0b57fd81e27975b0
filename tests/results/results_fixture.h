// The small results database the read-side tests query, written by hand through
// Store (every expected value in those tests is derived from the numbers written in
// SetUp, not by calling the code under test), and helpers to compare cells.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "results/comparison.h"
#include "results/curves.h"
#include "results/run_selection.h"
#include "results/run_views.h"
#include "results/store.h"
#include "results/table.h"
#include "tests/test_helpers.h"

namespace torchsweep::testing::results {

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

inline SqlValue I(int64_t v) { return SqlValue(v); }
inline SqlValue D(double v) { return SqlValue(v); }
inline SqlValue T(const std::string& v) { return SqlValue(v); }
inline const SqlValue N = SqlValue(nullptr);

inline bool is_null(const SqlValue& v) { return std::holds_alternative<std::nullptr_t>(v); }

/// A double cell, failing the test when the cell is not a double.
inline double as_double(const SqlValue& v) {
  const auto* d = std::get_if<double>(&v);
  EXPECT_NE(d, nullptr) << "cell is not a REAL";
  return d ? *d : std::nan("");
}

inline std::string describe(const SqlValue& v) {
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

inline std::vector<int64_t> ids_of(const std::vector<torchsweep::RunInfo>& runs) {
  std::vector<int64_t> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

inline std::string render_to_string(const Table& table, TableFormat format) {
  std::ostringstream out;
  torchsweep::render(table, format, out);
  return out.str();
}

/// Splits CSV text into rows of cells (quotes and doubled quotes handled; no newlines in cells).
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
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

}  // namespace torchsweep::testing::results
