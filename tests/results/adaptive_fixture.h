// A database holding what an adaptive sweep leaves behind, written by hand (Store for
// sweeps, runs and metrics; plain SQL for `decisions` and `rungs`, as a reader finds
// them), for the tests of the read side: results show, rungs, list, curves, plot,
// compare, status and merge. Every expected value in those tests follows from the
// numbers below, not from the code under test.
//
// sweep "lr-find" (mode lr_find): one run of kind lr_find, optimizer.lr 1e-7, train/loss
//   at steps 0..2: 2.0 1.5 9.0.
// sweep "asha" (the latest), adaptive: asha on test/loss, minimize, per epoch,
//   min_resource 1, eta 3; six runs, optimizer.lr 0.01 0.03 0.1 0.3 1 3, three steps an
//   epoch, test/loss at each epoch's end (epoch axis), train/loss at each step:
//   run  test/loss by epoch   rungs (rung: epoch, value)   status
//   r0   0.9                  0: 1, 0.9                    stopped (seq 2)
//   r1   0.5 0.42 0.35        0: 1, 0.5; 1: 3, 0.35        stopped at rung 1 (seq 6)
//   r2   0.7                  0: 1, 0.7                    stopped (seq 3)
//   r3   0.4 0.33 0.3         0: 1, 0.4; 1: 3, 0.3         finished (top rung: no decision)
//   r4   1.2                  0: 1, 1.2                    stopped (seq 5)
//   r5   0.6                  0: 1, 0.6                    paused (no decision yet)
//   decisions, in order: 1 promote r1 rung 0 (0.5 vs 0.5), 2 stop r0 rung 0 (0.9 vs 0.5),
//   3 stop r2 rung 0 (0.7 vs 0.5), 4 promote r3 rung 0 (0.4 vs 0.5), 5 stop r4 rung 0
//   (1.2 vs 0.45), 6 stop r1 rung 1 (0.35 vs 0.3).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "results/store.h"
#include "tests/test_helpers.h"

namespace torchsweep::testing::adaptive {

struct AdaptiveSweep {
  int64_t lr_find_sweep = 0;
  int64_t lr_find_run = 0;
  int64_t sweep = 0;
  std::vector<int64_t> runs;  ///< r0 .. r5
};

inline const std::vector<double> kLearningRates = {0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
inline const std::vector<std::vector<double>> kTestLoss = {{0.9}, {0.5, 0.42, 0.35}, {0.7},
                                                           {0.4, 0.33, 0.3}, {1.2}, {0.6}};
inline const char* const kAdaptiveJson =
    R"({"early_stop": {"rule": "asha", "metric": "test/loss", "goal": "minimize", "axis": "epoch",
        "min_resource": 1, "eta": 3}})";

/// run i's train/loss at `step`: (i + 1) / (1 + step).
inline double train_loss(size_t run, int64_t step) {
  return static_cast<double>(run + 1) / (1.0 + static_cast<double>(step));
}

inline torchsweep::NewRun adaptive_run(int64_t index, double lr, const std::string& kind = "train") {
  torchsweep::NewRun r;
  r.index = index;
  r.config_hash = kind + "-cfg" + std::to_string(index);
  r.config_json = "{}";
  r.swept_json = R"({"optimizer.lr":)" + std::to_string(lr) + "}";
  r.seed = 1;
  r.device = "cpu";
  r.kind = kind;
  r.params = {{"optimizer.lr", torchsweep::SqlValue(lr)}, {"seed", torchsweep::SqlValue(int64_t{1})}};
  return r;
}

inline AdaptiveSweep write_adaptive_sweep(torchsweep::Store& store) {
  using torchsweep::MetricAxis;
  using torchsweep::MetricKey;
  using torchsweep::RunStatus;
  AdaptiveSweep out;
  {
    torchsweep::NewSweep s;
    s.name = "lr-find";
    s.spec_text = "name: lr-find\n";
    s.spec_hash = "hl";
    s.mode = "lr_find";
    const auto made = store.create_sweep(s, {adaptive_run(0, 1e-7, "lr_find")});
    out.lr_find_sweep = made.first;
    out.lr_find_run = made.second[0];
    store.append_metrics(out.lr_find_run, {{"train/loss", 0, 2.0}, {"train/loss", 1, 1.5}, {"train/loss", 2, 9.0}},
                         {MetricKey("train/loss")});
    store.end_run(out.lr_find_run, RunStatus::Finished, "", 3, 0.5);
  }
  torchsweep::NewSweep s;
  s.name = "asha";
  s.spec_text = "name: asha\n";
  s.spec_hash = "hs";
  s.adaptive_json = kAdaptiveJson;
  std::vector<torchsweep::NewRun> runs;
  for (size_t i = 0; i < kLearningRates.size(); ++i) runs.push_back(adaptive_run(static_cast<int64_t>(i), kLearningRates[i]));
  const auto made = store.create_sweep(s, runs);
  out.sweep = made.first;
  out.runs = made.second;
  for (size_t i = 0; i < out.runs.size(); ++i) {
    std::vector<torchsweep::MetricPoint> points;
    const auto epochs = static_cast<int64_t>(kTestLoss[i].size());
    for (int64_t step = 0; step < 3 * epochs; ++step) points.push_back({"train/loss", step, train_loss(i, step)});
    for (int64_t epoch = 1; epoch <= epochs; ++epoch)
      points.push_back({"test/loss", epoch, kTestLoss[i][static_cast<size_t>(epoch - 1)]});
    store.append_metrics(out.runs[i], points, {MetricKey("train/loss"), MetricKey("test/loss", MetricAxis::Epoch)});
  }
  const auto& r = out.runs;
  store.end_run(r[0], RunStatus::Stopped, "stopped by asha at rung 0", 3, 1.0);
  store.end_run(r[1], RunStatus::Stopped, "stopped by asha at rung 1", 9, 3.0);
  store.end_run(r[2], RunStatus::Stopped, "stopped by asha at rung 0", 3, 1.0);
  store.end_run(r[3], RunStatus::Finished, "", 9, 3.0);
  store.end_run(r[4], RunStatus::Stopped, "stopped by asha at rung 0", 3, 1.0);
  store.end_run(r[5], RunStatus::Paused, "", 3, 1.0);

  auto& db = store.db();
  auto rung = db.prepare("INSERT INTO rungs(run_id, rung, at, value, reached_at) VALUES (?, ?, ?, ?, ?)");
  for (size_t i = 0; i < r.size(); ++i)
    rung.bind(1, r[i]).bind(2, int64_t{0}).bind(3, int64_t{1}).bind(4, kTestLoss[i][0])
        .bind(5, "2026-12-06T10:00:0" + std::to_string(i) + ".000Z").run();
  rung.bind(1, r[1]).bind(2, int64_t{1}).bind(3, int64_t{3}).bind(4, 0.35).bind(5, "2026-12-06T10:01:01.000Z").run();
  rung.bind(1, r[3]).bind(2, int64_t{1}).bind(3, int64_t{3}).bind(4, 0.3).bind(5, "2026-12-06T10:01:03.000Z").run();

  auto decide = db.prepare(
      "INSERT INTO decisions(sweep_id, seq, run_id, action, rule, metric, axis, at, rung, value, threshold, seen, "
      "seed, note, decided_at) VALUES (?, ?, ?, ?, 'asha', 'test/loss', 'epoch', ?, ?, ?, ?, ?, NULL, ?, ?)");
  struct Row {
    int64_t seq;
    int64_t run;
    const char* action;
    int64_t at, rung;
    double value, threshold;
    const char* note;
  };
  const std::vector<Row> rows = {
      {1, r[1], "promote", 1, 0, 0.5, 0.5, "in the top 1/3 of 1 run at rung 0"},
      {2, r[0], "stop", 1, 0, 0.9, 0.5, "0.9 > 0.5, the top 1/3 cutoff of 2 runs at rung 0"},
      {3, r[2], "stop", 1, 0, 0.7, 0.5, "0.7 > 0.5, the top 1/3 cutoff of 3 runs at rung 0"},
      {4, r[3], "promote", 1, 0, 0.4, 0.5, "in the top 1/3 of 4 runs at rung 0"},
      {5, r[4], "stop", 1, 0, 1.2, 0.45, "1.2 > 0.45, the top 1/3 cutoff of 5 runs at rung 0"},
      {6, r[1], "stop", 3, 1, 0.35, 0.3, "0.35 > 0.3, the top 1/3 cutoff of 2 runs at rung 1"},
  };
  for (const auto& row : rows)
    decide.bind(1, out.sweep).bind(2, row.seq).bind(3, row.run).bind(4, std::string(row.action)).bind(5, row.at)
        .bind(6, row.rung).bind(7, row.value).bind(8, row.threshold).bind(9, std::string(R"({"rung": [0.5]})"))
        .bind(10, std::string(row.note)).bind(11, "2026-12-06T10:02:0" + std::to_string(row.seq) + ".000Z").run();
  return out;
}

/// The database above in a temporary folder, for each test.
class AdaptiveQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = torchsweep::Store::open(dir.file("adaptive.db"));
    made = write_adaptive_sweep(*store);
  }
  torchsweep::Database& db() { return store->db(); }
  /// The ids of runs r<i>, as a list and as the comma-separated text views show.
  std::vector<int64_t> id_list(std::initializer_list<size_t> runs) const {
    std::vector<int64_t> out;
    for (const size_t i : runs) out.push_back(made.runs[i]);
    return out;
  }
  std::string ids(std::initializer_list<size_t> runs) const {
    std::string out;
    for (const int64_t id : id_list(runs)) out += (out.empty() ? "" : ",") + std::to_string(id);
    return out;
  }
  torchsweep::testing::TempDir dir;
  std::unique_ptr<torchsweep::Store> store;
  AdaptiveSweep made;
};

}  // namespace torchsweep::testing::adaptive
