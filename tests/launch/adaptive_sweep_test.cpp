// Adaptive sweeps end to end: the seed's 2-2-2 network swept over learning rates with
// an early-stopping rule or a search, trained by the real worker into a real SQLite
// file. Each decision is checked against the rule's definition recomputed here from
// the recorded values, and every run against the same run trained alone.
#include "launch/adaptive_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "launch/local_launcher.h"
#include "launch/rerun.h"
#include "results/decision_log.h"
#include "results/store.h"
#include "sweep/sweep.h"
#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

using testing::TempDir;

const char* kNineRates = "[0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0]";

std::string seed_spec(const std::string& name, const std::string& sweep_section, const std::string& rates = kNineRates,
                      int steps = 90) {
  return "name: " + name + R"(
seed: 1
device: cpu
model: {name: backprop_2x2x2}
data: {name: seed_example}
loss: half_sse
optimizer: {name: sgd, lr: )" + rates + R"(}
train: {steps: )" + std::to_string(steps) + R"(, log_every: 1, deterministic: true}
)" + sweep_section;
}

struct Swept {
  int64_t sweep_id = 0;
  SweepOutcome outcome;
};

Swept run_spec(Store& store, const TempDir& dir, const std::string& file, const std::string& text, int workers = 1) {
  const SweepPlan plan = load_sweep(dir.write(file, text), {});
  SweepRunOptions options;
  options.fresh = true;
  options.workers = workers;
  options.threads = 1;
  options.executable = TORCHSWEEP_BINARY;
  std::ostringstream out;
  Swept swept;
  swept.outcome = run_sweep(plan, store, out, options);
  swept.sweep_id = swept.outcome.sweep_id;
  return swept;
}

/// run_index → train/loss points of the sweep's runs, in step order.
std::map<int64_t, std::vector<double>> losses_by_index(Store& store, int64_t sweep_id) {
  auto rows = store.db().prepare(
      "SELECT r.run_index, m.value FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = 'train/loss' "
      "WHERE r.sweep_id = ? ORDER BY r.run_index, m.step");
  rows.bind(1, sweep_id);
  std::map<int64_t, std::vector<double>> out;
  while (rows.step()) out[rows.get_int(0)].push_back(rows.get_double(1));
  return out;
}

std::string text_of(Store& store, const std::string& sql) {
  auto row = store.db().prepare(sql);
  return row.step() ? row.get_text(0) : "";
}

double double_of(Store& store, const std::string& sql) {
  auto row = store.db().prepare(sql);
  return row.step() ? row.get_double(0) : NAN;
}

int64_t int_of(Store& store, const std::string& sql) {
  auto row = store.db().prepare(sql);
  return row.step() ? row.get_int(0) : -1;
}

/// The values of a decision's `seen` rung, best first, as ASHA ranks them (minimize, none last).
std::vector<double> ranked(const nlohmann::json& seen) {
  std::vector<double> values;
  for (const auto& run : seen.at("runs"))
    values.push_back(run.at("value").is_null() ? INFINITY : run.at("value").get<double>());
  std::sort(values.begin(), values.end());
  return values;
}

TEST(AdaptiveSweep, AshaPromotesTheTopThirdOfEachRungAndStopsTheRest) {
  TempDir dir;
  auto store = Store::open(dir.file("asha.db"));
  const auto asha = run_spec(*store, dir, "asha.yaml",
                             seed_spec("asha", "sweep:\n  early_stop: {rule: asha, metric: train/loss, goal: minimize, "
                                               "axis: step, min_resource: 10, eta: 3}\n"));
  const auto alone = run_spec(*store, dir, "alone.yaml", seed_spec("alone", ""));
  EXPECT_EQ(asha.outcome.failed, 0);
  EXPECT_GT(asha.outcome.stopped, 0);
  EXPECT_GT(asha.outcome.finished, 0);

  // Rungs at 10 and 30 steps (10·3^k below the 90-step budget); each run ends at one.
  auto ends = store->db().prepare("SELECT run_index, status, steps, coalesce(error, '') FROM runs WHERE sweep_id = ?");
  ends.bind(1, asha.sweep_id);
  int64_t steps = 0;
  while (ends.step()) {
    const std::string status = ends.get_text(1);
    steps += ends.get_int(2);
    if (status == "finished") EXPECT_EQ(ends.get_int(2), 90);
    else {
      EXPECT_EQ(status, "stopped");
      EXPECT_TRUE(ends.get_int(2) == 10 || ends.get_int(2) == 30) << ends.get_int(2);
      EXPECT_NE(ends.get_text(3).find("stopped by asha at rung"), std::string::npos) << ends.get_text(3);
    }
  }
  EXPECT_LT(steps, 9 * 90);

  // Every decision holds against the rule recomputed from what it saw: a promoted run is
  // among the best ⌊n/3⌋ at its rung, a stopped one is not; the rung's value is the
  // run's recorded train/loss at its last step before the rung.
  const auto decisions = read_decisions(store->db(), asha.sweep_id);
  ASSERT_FALSE(decisions.empty());
  for (const auto& d : decisions) {
    ASSERT_TRUE(d.action == "promote" || d.action == "stop") << d.action;
    ASSERT_TRUE(d.rung.has_value() && d.at.has_value());
    const auto values = ranked(d.seen);
    const auto top = static_cast<size_t>(values.size() / 3);
    if (d.action == "promote") {
      ASSERT_GE(top, 1u);
      EXPECT_LE(d.value, values[top - 1]);
      EXPECT_EQ(d.threshold, values[top - 1]);
    } else {
      if (top >= 1) {
        EXPECT_GT(d.value, values[top - 1]);
      }
      EXPECT_EQ(text_of(*store, "SELECT status FROM runs WHERE id = " + std::to_string(d.run_id)), "stopped");
    }
    const double recorded = double_of(
        *store, "SELECT value FROM metrics WHERE key = 'train/loss' AND run_id = " + std::to_string(d.run_id) +
                    " AND step < " + std::to_string(*d.at) + " ORDER BY step DESC LIMIT 1");
    EXPECT_EQ(d.value, recorded);
  }

  // A run paused at rungs and continued from its checkpoints records what it would alone,
  // bit for bit (CPU, deterministic), and a stopped one the beginning of that.
  const auto paused = losses_by_index(*store, asha.sweep_id);
  const auto whole = losses_by_index(*store, alone.sweep_id);
  for (const auto& [index, losses] : paused) {
    const auto& reference = whole.at(index);
    ASSERT_LE(losses.size(), reference.size());
    for (size_t i = 0; i < losses.size(); ++i) ASSERT_EQ(losses[i], reference[i]) << "run " << index << " step " << i;
  }
}

TEST(AdaptiveSweep, OneWorkerTakesTheSameDecisionsTwice) {
  TempDir dir;
  auto store = Store::open(dir.file("twice.db"));
  const std::string spec = seed_spec(
      "twice", "sweep:\n  early_stop: {rule: asha, metric: train/loss, axis: step, min_resource: 10, eta: 3}\n");
  const auto first = run_spec(*store, dir, "a.yaml", spec);
  const auto second = run_spec(*store, dir, "b.yaml", spec);
  // Run ids differ between the sweeps: decisions name runs by their place in the sweep.
  auto rows = [&](int64_t sweep_id) {
    auto index_of = [&](int64_t run_id) {
      return text_of(*store, "SELECT run_index FROM runs WHERE id = " + std::to_string(run_id));
    };
    std::vector<std::string> out;
    for (const auto& d : read_decisions(store->db(), sweep_id)) {
      std::string seen;
      for (const auto& run : d.seen.at("runs"))
        seen += " " + index_of(run.at("run").get<int64_t>()) + ":" + run.at("value").dump() +
                (run.at("promoted").get<bool>() ? "*" : "");
      out.push_back(std::to_string(d.seq) + " " + d.action + " run_index=" + index_of(d.run_id) +
                    " rung=" + std::to_string(*d.rung) + " value=" + nlohmann::json(d.value).dump() +
                    " threshold=" + nlohmann::json(d.threshold).dump() + " seen=" + seen);
    }
    return out;
  };
  const auto a = rows(first.sweep_id), b = rows(second.sweep_id);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST(AdaptiveSweep, MedianStopsARunWorseThanTheMedianOfFinishedRuns) {
  TempDir dir;
  auto store = Store::open(dir.file("median.db"));
  // Rates from high to low: each later run is worse than those before it at every step.
  const auto swept = run_spec(
      *store, dir, "median.yaml",
      seed_spec("median",
                "sweep:\n  early_stop: {rule: median, metric: train/loss, axis: step, startup_runs: 2, warmup: 5}\n",
                "[2.0, 1.0, 0.5, 0.2, 0.1, 0.05]", 40));
  // Two finished runs make the median; from the third on, a run whose best is worse than
  // their median at a step after the warmup stops there.
  const auto decisions = read_decisions(store->db(), swept.sweep_id);
  EXPECT_EQ(int_of(*store, "SELECT count(*) FROM runs WHERE status = 'finished' AND sweep_id = " +
                               std::to_string(swept.sweep_id)),
            2);
  ASSERT_EQ(decisions.size(), 4u);
  for (const auto& d : decisions) {
    EXPECT_EQ(d.action, "stop");
    EXPECT_EQ(d.rule, "median");
    ASSERT_TRUE(d.at.has_value());
    EXPECT_EQ(*d.at, 5);  // the first step judged
    // The median of the finished runs' values at that step, from the metrics table.
    auto at = store->db().prepare(
        "SELECT m.value FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = 'train/loss' AND m.step = 5 "
        "WHERE r.sweep_id = ? AND r.status = 'finished' ORDER BY m.value");
    at.bind(1, swept.sweep_id);
    std::vector<double> v;
    while (at.step()) v.push_back(at.get_double(0));
    ASSERT_EQ(v.size(), 2u);
    EXPECT_DOUBLE_EQ(d.threshold, (v[0] + v[1]) / 2);
    EXPECT_GT(d.value, d.threshold);
    EXPECT_EQ(int_of(*store, "SELECT steps FROM runs WHERE id = " + std::to_string(d.run_id)), 6);
  }
}

TEST(AdaptiveSweep, ARerunOfTheSweepReplaysItsDecisions) {
  TempDir dir;
  auto store = Store::open(dir.file("replay.db"));
  const auto original = run_spec(
      *store, dir, "replay.yaml",
      seed_spec("replay", "sweep:\n  early_stop: {rule: asha, metric: train/loss, axis: step, min_resource: 10, eta: 3}\n"));
  std::ostringstream out;
  WorkerOptions worker;
  worker.threads = 1;
  const SweepRerunOutcome again = rerun_sweep(*store, original.sweep_id, out, worker);
  EXPECT_TRUE(again.identical()) << out.str();
  EXPECT_EQ(again.runs, 9);
  // The same runs end the same way, and the decisions are the original's, in order.
  auto endings = [&](int64_t sweep_id) {
    std::vector<std::string> out;
    auto rows = store->db().prepare("SELECT status, steps FROM runs WHERE sweep_id = ? ORDER BY run_index");
    rows.bind(1, sweep_id);
    while (rows.step()) out.push_back(rows.get_text(0) + " " + std::to_string(rows.get_int(1)));
    return out;
  };
  EXPECT_EQ(endings(original.sweep_id), endings(again.sweep_id));
  const auto before = read_decisions(store->db(), original.sweep_id);
  const auto after = read_decisions(store->db(), again.sweep_id);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].action, after[i].action);
    EXPECT_EQ(before[i].rung, after[i].rung);
    EXPECT_EQ(before[i].value, after[i].value);
    EXPECT_EQ(text_of(*store, "SELECT run_index FROM runs WHERE id = " + std::to_string(before[i].run_id)),
              text_of(*store, "SELECT run_index FROM runs WHERE id = " + std::to_string(after[i].run_id)));
  }
}

TEST(AdaptiveSweep, TpeProposesEachRunAfterTheStartUpFromTheRunsThatEnded) {
  TempDir dir;
  auto store = Store::open(dir.file("tpe.db"));
  const std::string sweep =
      "sweep:\n  mode: tpe\n  samples: 8\n  startup: 3\n  metric: {name: train/loss, goal: minimize}\n"
      "  parameters:\n    optimizer.lr: {distribution: log_uniform, low: 0.01, high: 2.0}\n";
  const auto first = run_spec(*store, dir, "tpe.yaml", seed_spec("tpe", sweep, "0.1", 20));
  EXPECT_EQ(int_of(*store, "SELECT count(*) FROM runs WHERE status = 'finished' AND sweep_id = " +
                               std::to_string(first.sweep_id)),
            8);
  // Runs 4..8 were proposed, each from every run before it (one worker: they had all ended).
  const auto decisions = read_decisions(store->db(), first.sweep_id);
  ASSERT_EQ(decisions.size(), 5u);
  for (size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    EXPECT_EQ(d.action, "propose");
    EXPECT_EQ(d.rule, "tpe");
    EXPECT_EQ(d.seen.at("ended").get<int64_t>(), static_cast<int64_t>(i) + 3);
    const auto swept = nlohmann::json::parse(
        text_of(*store, "SELECT swept_json FROM runs WHERE id = " + std::to_string(d.run_id)));
    EXPECT_EQ(swept.at("optimizer.lr"), d.seen.at("point").at("optimizer.lr"));
    const double lr = swept.at("optimizer.lr").get<double>();
    EXPECT_GE(lr, 0.01);
    EXPECT_LE(lr, 2.0);
  }
  // The same spec and seed propose the same points again.
  const auto second = run_spec(*store, dir, "tpe2.yaml", seed_spec("tpe", sweep, "0.1", 20));
  const auto again = read_decisions(store->db(), second.sweep_id);
  ASSERT_EQ(again.size(), decisions.size());
  for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].seen.at("point"), decisions[i].seen.at("point"));
}

TEST(AdaptiveSweep, TwoWorkerProcessesShareTheRungsAndLeaveNoRunWaiting) {
  TempDir dir;
  auto store = Store::open(dir.file("two.db"));
  const auto asha = run_spec(
      *store, dir, "two.yaml",
      seed_spec("two", "sweep:\n  early_stop: {rule: asha, metric: train/loss, axis: step, min_resource: 10, eta: 3}\n"),
      /*workers=*/2);
  const auto alone = run_spec(*store, dir, "alone.yaml", seed_spec("alone", ""));
  const std::string sweep = std::to_string(asha.sweep_id);
  EXPECT_EQ(int_of(*store, "SELECT count(*) FROM runs WHERE sweep_id = " + sweep +
                               " AND status NOT IN ('finished', 'stopped')"),
            0);
  EXPECT_GT(int_of(*store, "SELECT count(*) FROM runs WHERE sweep_id = " + sweep + " AND status = 'finished'"), 0);
  // Each promotion held at the moment it was taken: the promoted run among the best ⌊n/3⌋.
  for (const auto& d : read_decisions(store->db(), asha.sweep_id)) {
    const auto values = ranked(d.seen);
    const auto top = values.size() / 3;
    if (d.action == "promote") {
      ASSERT_GE(top, 1u);
      EXPECT_LE(d.value, values[top - 1]);
    }
  }
  // Whichever process trained a run, and however often it paused, it recorded what it would alone.
  const auto paused = losses_by_index(*store, asha.sweep_id);
  const auto whole = losses_by_index(*store, alone.sweep_id);
  for (const auto& [index, losses] : paused)
    for (size_t i = 0; i < losses.size(); ++i) ASSERT_EQ(losses[i], whole.at(index)[i]) << "run " << index;
}

TEST(AdaptiveSweep, ARerunOfARunTheMedianStoppedStopsAtTheSamePoint) {
  TempDir dir;
  auto store = Store::open(dir.file("median-rerun.db"));
  const auto swept = run_spec(
      *store, dir, "median.yaml",
      seed_spec("median",
                "sweep:\n  early_stop: {rule: median, metric: train/loss, axis: step, startup_runs: 2, warmup: 5}\n",
                "[2.0, 1.0, 0.5]", 40));
  const int64_t stopped = int_of(*store, "SELECT id FROM runs WHERE status = 'stopped' AND sweep_id = " +
                                             std::to_string(swept.sweep_id));
  ASSERT_GT(stopped, 0);
  std::ostringstream out;
  WorkerOptions worker;
  worker.threads = 1;
  const RerunOutcome again = rerun(*store, stopped, out, worker);
  EXPECT_EQ(again.status, RunStatus::Stopped) << out.str();
  EXPECT_TRUE(again.identical()) << out.str();
  EXPECT_EQ(int_of(*store, "SELECT steps FROM runs WHERE id = " + std::to_string(again.run_id)),
            int_of(*store, "SELECT steps FROM runs WHERE id = " + std::to_string(stopped)));
  // Its decision is the original's, copied, about the rerun.
  const auto copied = read_decisions(store->db(), again.sweep_id);
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].run_id, again.run_id);
  EXPECT_EQ(copied[0].action, "stop");
}

}  // namespace
}  // namespace torchsweep
