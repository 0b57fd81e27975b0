#include "launch/rule_sink.h"

#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "results/decision_log.h"

namespace torchsweep {

RuleSink::RuleSink(Store& store, int64_t sweep_id, int64_t run_id, EarlyStopping rule, MetricSink& recorder)
    : store_(store), sweep_id_(sweep_id), run_id_(run_id), rule_(std::move(rule)), recorder_(recorder) {
  // A run continued from a checkpoint is judged on its whole history, as it would be
  // had it not been cut short: the points it recorded before come first.
  std::lock_guard<std::mutex> lock(store_.mutex());
  auto recorded = store_.db().prepare("SELECT step, value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step");
  recorded.bind(1, run_id_).bind(2, rule_.metric);
  while (recorded.step())
    own_.emplace_back(recorded.get_int(0),
                      recorded.is_null(1) ? std::numeric_limits<double>::quiet_NaN() : recorded.get_double(1));
}

void RuleSink::take(int64_t step, const MetricRow& row, MetricAxis axis) {
  if (!stop_.empty()) return;
  for (const auto& [key, value] : row) {
    if (key != rule_.metric) continue;
    own_.emplace_back(step, value);
    judge(axis);
    return;
  }
}

namespace {

/// The histories of the judged metric of the sweep's other runs, by run: those that
/// finished (`finished_only`: what Optuna's median compares with), else every run
/// that logged it. `at_step` >= 0: only each run's point at that step.
std::vector<History> other_histories(Database& db, int64_t sweep_id, int64_t run_id, const std::string& metric,
                                     bool finished_only, int64_t at_step) {
  auto rows = db.prepare(
      "SELECT m.run_id, m.step, m.value FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = ?3 "
      "WHERE r.sweep_id = ?1 AND r.id <> ?2 AND (?4 = 0 OR r.status = 'finished') AND (?5 < 0 OR m.step = ?5) "
      "ORDER BY m.run_id, m.step");
  rows.bind(1, sweep_id).bind(2, run_id).bind(3, metric).bind(4, finished_only ? 1 : 0).bind(5, at_step);
  std::map<int64_t, History> by_run;
  while (rows.step())
    by_run[rows.get_int(0)].emplace_back(
        rows.get_int(1), rows.is_null(2) ? std::numeric_limits<double>::quiet_NaN() : rows.get_double(2));
  std::vector<History> out;
  for (auto& [id, history] : by_run) out.push_back(std::move(history));
  return out;
}

}  // namespace

void RuleSink::judge(MetricAxis axis) {
  using Rule = EarlyStopping::Rule;
  // Patience needs only the run's own points: the database is read (and this run's
  // points made durable) only for a stop.
  Verdict verdict;
  if (rule_.rule == Rule::Patience) {
    verdict = judge_patience(rule_, own_);
    if (!verdict.stop) return;
  }
  recorder_.flush();
  std::lock_guard<std::mutex> lock(store_.mutex());
  Database& db = store_.db();
  Transaction tx(db);
  if (rule_.rule == Rule::Median) {
    // Optuna's rule compares with the finished runs' values at this step only.
    verdict = judge_median(rule_, own_, other_histories(db, sweep_id_, run_id_, rule_.metric, true, own_.back().first));
  } else if (rule_.rule == Rule::WandbHyperband) {
    verdict = judge_wandb_hyperband(rule_, own_, other_histories(db, sweep_id_, run_id_, rule_.metric, false, -1));
  }
  if (!verdict.stop) return;  // the transaction rolls back: nothing was written
  Decision d;
  d.sweep_id = sweep_id_;
  d.run_id = run_id_;
  d.action = "stop";
  d.rule = to_string(rule_.rule);
  d.metric = rule_.metric;
  d.axis = to_string(axis);
  d.at = own_.back().first;
  d.value = verdict.value;
  d.threshold = verdict.threshold;
  d.seen = verdict.seen.is_null() ? nlohmann::json::object() : verdict.seen;
  d.note = verdict.reason;
  record_decision(db, d);
  db.prepare("UPDATE runs SET status = ?, error = ? WHERE id = ?")
      .bind(1, to_string(RunStatus::Stopped))
      .bind(2, verdict.reason)
      .bind(3, run_id_)
      .run();
  tx.commit();
  stop_ = verdict.reason;
}

}  // namespace torchsweep
