#include "launch/adaptive_queue.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/number_text.h"
#include "launch/search_proposals.h"
#include "results/decision_log.h"

namespace torchsweep {

bool AdaptiveSweep::pauses() const {
  return early_stop.rule == EarlyStopping::Rule::Asha || early_stop.rule == EarlyStopping::Rule::Hyperband;
}

bool AdaptiveSweep::judges_points() const { return early_stop.enabled() && !pauses(); }

std::string adaptive_record(const SweepPlan& plan) {
  nlohmann::json record = nlohmann::json::object();
  if (plan.early_stop.enabled()) record["early_stop"] = plan.early_stop.to_json();
  if (plan.mode == "tpe" || plan.mode == "bayes") {
    record["search"] = search_settings_to_json(plan.search);
    record["search"]["mode"] = plan.mode;
  }
  if (record.empty()) return "{}";
  record["seed"] = plan.runs.empty() ? 0 : plan.runs.front().config.value("seed", int64_t{0});
  return record.dump();
}

AdaptiveSweep read_adaptive_sweep(Database& db, int64_t sweep_id) {
  AdaptiveSweep sweep;
  sweep.sweep_id = sweep_id;
  auto row = db.prepare("SELECT adaptive FROM sweeps WHERE id = ?");
  row.bind(1, sweep_id);
  if (!row.step()) return sweep;
  const auto adaptive = nlohmann::json::parse(row.get_text(0), nullptr, /*allow_exceptions=*/false);
  if (!adaptive.is_object()) return sweep;
  if (adaptive.contains("early_stop")) sweep.early_stop = EarlyStopping::from_json(adaptive["early_stop"]);
  if (adaptive.contains("search")) sweep.search = adaptive["search"];
  if (adaptive.contains("seed")) sweep.seed = adaptive["seed"].get<uint64_t>();
  sweep.replay = adaptive.value("replay", false);
  if (sweep.replay) {
    // The original's rule and search are kept for the record; nothing is decided again.
    sweep.early_stop = EarlyStopping();
    sweep.search = nullptr;
  }
  return sweep;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A run of the sweep as the rung decisions see it.
struct RunAtRungs {
  int64_t id = 0;
  int64_t index = 0;
  RunStatus status = RunStatus::Pending;
  int64_t promotions = 0;  ///< rungs it was promoted past
};

int64_t promotions_of(Database& db, int64_t run_id) {
  auto count = db.prepare("SELECT count(*) FROM decisions WHERE run_id = ? AND action = 'promote'");
  count.bind(1, run_id);
  count.step();
  return count.get_int(0);
}

/// Whether a run trained up to rung `level`: it was promoted past it, it waits or was
/// stopped there, or it finished (a finished run passed every rung).
bool reached(const RunAtRungs& run, int64_t level) {
  if (run.promotions > level || run.status == RunStatus::Finished) return true;
  return run.promotions == level && (run.status == RunStatus::Paused || run.status == RunStatus::Stopped);
}

/// The metric's value where a run was at `at` on the rule's axis: its last point at or
/// before there (NaN when there is none, or it was not finite). A metric logged on the
/// other axis is placed through train/steps, the step each epoch ended at.
double value_at(Database& db, int64_t run_id, const std::string& metric, MetricAxis axis, int64_t at) {
  auto key = db.prepare("SELECT axis FROM metric_keys WHERE run_id = ? AND key = ?");
  key.bind(1, run_id).bind(2, metric);
  if (!key.step()) return kNaN;
  const MetricAxis metric_axis = key.get_text(0) == "epoch" ? MetricAxis::Epoch : MetricAxis::Step;
  key.reset();
  std::string last_step = "?3";
  if (metric_axis == MetricAxis::Epoch && axis == MetricAxis::Step)
    last_step = "(SELECT max(step) FROM metrics WHERE run_id = ?1 AND key = 'train/steps' AND value <= ?3)";
  else if (metric_axis == MetricAxis::Step && axis == MetricAxis::Epoch)
    last_step = "(SELECT value FROM metrics WHERE run_id = ?1 AND key = 'train/steps' AND step = ?3)";
  auto value = db.prepare("SELECT value FROM metrics WHERE run_id = ?1 AND key = ?2 AND step <= " + last_step +
                          " ORDER BY step DESC LIMIT 1");
  value.bind(1, run_id).bind(2, metric).bind(3, at);
  if (!value.step() || value.is_null(0)) return kNaN;
  return value.get_double(0);
}

/// A run's value at a rung, as the first decision that needed it read it (rows of `rungs`).
double rung_value(Database& db, const EarlyStopping& rule, int64_t run_id, int64_t level, int64_t at) {
  {
    auto known = db.prepare("SELECT value FROM rungs WHERE run_id = ? AND rung = ?");
    known.bind(1, run_id).bind(2, level);
    if (known.step()) return known.is_null(0) ? kNaN : known.get_double(0);
  }
  const double value = value_at(db, run_id, rule.metric, rule.axis, at);
  db.prepare("INSERT INTO rungs(run_id, rung, at, value, reached_at) VALUES (?, ?, ?, ?, ?)")
      .bind(1, run_id)
      .bind(2, level)
      .bind(3, at)
      .bind(4, std::isfinite(value) ? SqlValue(value) : SqlValue(nullptr))
      .bind(5, utc_now())
      .run();
  return value;
}

std::vector<RunAtRungs> runs_at_rungs(Database& db, int64_t sweep_id) {
  auto rows = db.prepare(
      "SELECT r.id, r.run_index, r.status, (SELECT count(*) FROM decisions d WHERE d.run_id = r.id AND "
      "d.action = 'promote') FROM runs r WHERE r.sweep_id = ? ORDER BY r.run_index");
  rows.bind(1, sweep_id);
  std::vector<RunAtRungs> runs;
  while (rows.step())
    runs.push_back({rows.get_int(0), rows.get_int(1), parse_run_status(rows.get_text(2)), rows.get_int(3)});
  return runs;
}

/// One bracket's rungs: the resources, and per level the runs that reached it.
struct Bracket {
  std::vector<int64_t> resources;
  std::vector<std::vector<RungValue>> levels;
};

std::map<int64_t, Bracket> rung_tables(Database& db, const EarlyStopping& rule, const std::vector<RunAtRungs>& runs) {
  std::map<int64_t, Bracket> brackets;
  for (const auto& run : runs) {
    const int64_t b = bracket_of(rule, run.index);
    auto [it, fresh] = brackets.try_emplace(b);
    Bracket& bracket = it->second;
    if (fresh) {
      bracket.resources = rungs_of(rule, b);
      bracket.levels.resize(bracket.resources.size());
    }
    for (size_t k = 0; k < bracket.resources.size(); ++k) {
      if (!reached(run, static_cast<int64_t>(k))) break;
      const double value = rung_value(db, rule, run.id, static_cast<int64_t>(k), bracket.resources[k]);
      // A finished run went past every rung: it is never promoted again.
      bracket.levels[k].push_back(
          {run.id, value, run.promotions > static_cast<int64_t>(k) || run.status == RunStatus::Finished});
    }
  }
  return brackets;
}

std::string where_on_axis(MetricAxis axis, int64_t at) {
  return fmt::format("{} {}", axis == MetricAxis::Epoch ? "epoch" : "step", at);
}

std::string shown(double value) { return std::isfinite(value) ? readable_number(value) : "none"; }

nlohmann::json rung_seen(const std::vector<RungValue>& level) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& entry : level)
    runs.push_back({{"run", entry.run_id}, {"value", std::isfinite(entry.value) ? nlohmann::json(entry.value) : nullptr},
                    {"promoted", entry.promoted}});
  return {{"reached", level.size()}, {"runs", runs}};
}

Decision rung_decision(const AdaptiveSweep& sweep, int64_t run_id, const std::string& action, int64_t level,
                       int64_t at, double value, double threshold, const std::vector<RungValue>& seen) {
  Decision d;
  d.sweep_id = sweep.sweep_id;
  d.run_id = run_id;
  d.action = action;
  d.rule = to_string(sweep.early_stop.rule);
  d.metric = sweep.early_stop.metric;
  d.axis = to_string(sweep.early_stop.axis);
  d.at = at;
  d.rung = level;
  d.value = value;
  d.threshold = threshold;
  d.seen = rung_seen(seen);
  return d;
}

/// Promotes the run ASHA promotes next, if any: brackets in order, each from its highest rung.
std::optional<NextWork> promote(Store& store, const AdaptiveSweep& sweep, const std::map<int64_t, Bracket>& brackets,
                                const Holder& holder) {
  const EarlyStopping& rule = sweep.early_stop;
  for (const auto& [b, bracket] : brackets) {
    const auto promotion = next_promotion(rule, bracket.levels);
    if (!promotion) continue;
    const auto level = static_cast<size_t>(promotion->rung);
    Decision d = rung_decision(sweep, promotion->run_id, "promote", promotion->rung, bracket.resources[level],
                               promotion->value, promotion->threshold, bracket.levels[level]);
    d.note = fmt::format("promoted past rung {} ({}): {} {} is among the top {} of the {} runs there (cutoff {})",
                         promotion->rung, where_on_axis(rule.axis, bracket.resources[level]), rule.metric,
                         shown(promotion->value), promotion->top, promotion->reached, shown(promotion->threshold));
    record_decision(store.db(), d);
    NextWork work;
    work.run = RunQueue(store.db()).take_run(promotion->run_id, holder);
    work.pause_axis = rule.axis;
    work.pause_at = level + 1 < bracket.resources.size() ? bracket.resources[level + 1] : 0;
    work.why = d.note;
    return work;
  }
  return std::nullopt;
}

/// Stops every run still paused at a rung: nothing can promote it any more.
void stop_paused(Store& store, const AdaptiveSweep& sweep, const std::vector<RunAtRungs>& runs,
                 const std::map<int64_t, Bracket>& brackets) {
  const EarlyStopping& rule = sweep.early_stop;
  auto mark = store.db().prepare("UPDATE runs SET status = ?, error = ? WHERE id = ?");
  for (const auto& run : runs) {
    if (run.status != RunStatus::Paused) continue;
    const Bracket& bracket = brackets.at(bracket_of(rule, run.index));
    const auto level = static_cast<size_t>(run.promotions);
    if (level >= bracket.levels.size()) continue;  // not at a rung (cannot happen: it would have finished)
    const auto& at_level = bracket.levels[level];
    double value = kNaN;
    for (const auto& entry : at_level)
      if (entry.run_id == run.id) value = entry.value;
    const double cutoff = rung_cutoff(rule, at_level);
    const int64_t top = static_cast<int64_t>(std::floor(static_cast<double>(at_level.size()) / rule.eta));
    Decision d = rung_decision(sweep, run.id, "stop", run.promotions, bracket.resources[level], value, cutoff, at_level);
    d.note = fmt::format("stopped by {} at rung {} ({}): {} {} is not among the top {} of the {} runs there{}",
                         d.rule, run.promotions, where_on_axis(rule.axis, bracket.resources[level]), rule.metric,
                         shown(value), top, at_level.size(),
                         std::isfinite(cutoff) ? " (cutoff " + shown(cutoff) + ")" : "");
    record_decision(store.db(), d);
    mark.bind(1, to_string(RunStatus::Stopped)).bind(2, d.note).bind(3, run.id).run();
  }
}

/// A number drawn from (seed, n) alone (splitmix64's finaliser).
uint64_t mix(uint64_t seed, int64_t n) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(n + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The waiting run to take next (id, index): one whose training was cut short first,
/// then, for a sweep that pauses runs at rungs, a new one in an order shuffled by the
/// sweep's seed — a grid in sorted order is the worst case for asynchronous halving
/// (each new run beats those before it, and is promoted) — else the lowest index.
std::optional<std::pair<int64_t, int64_t>> next_waiting(Database& db, const AdaptiveSweep& sweep) {
  auto waiting = db.prepare("SELECT id, run_index, status FROM runs WHERE sweep_id = ?1 AND status IN (?2, ?3) "
                            "ORDER BY status = ?2, run_index");
  waiting.bind(1, sweep.sweep_id).bind(2, to_string(RunStatus::Pending)).bind(3, to_string(RunStatus::Interrupted));
  std::optional<std::pair<int64_t, int64_t>> best;
  uint64_t best_key = 0;
  while (waiting.step()) {
    const int64_t id = waiting.get_int(0), index = waiting.get_int(1);
    const bool fresh = waiting.get_text(2) == to_string(RunStatus::Pending);
    if (!fresh || !sweep.pauses()) return std::make_pair(id, index);  // the first in that order
    const uint64_t key = mix(sweep.seed, index);
    if (!best || key < best_key) best = std::make_pair(id, index), best_key = key;
  }
  return best;
}

}  // namespace

int64_t pause_target(Database& db, const AdaptiveSweep& sweep, int64_t run_id, int64_t run_index) {
  if (!sweep.pauses()) return 0;
  const auto rungs = rungs_of(sweep.early_stop, bracket_of(sweep.early_stop, run_index));
  const auto promotions = static_cast<size_t>(promotions_of(db, run_id));
  return promotions < rungs.size() ? rungs[promotions] : 0;
}

std::vector<int64_t> adaptive_sweeps_with_work(Database& db) {
  auto rows = db.prepare(
      "SELECT s.id FROM sweeps s WHERE s.adaptive <> '{}' AND coalesce(json_extract(s.adaptive, '$.replay'), 0) = 0 "
      "AND EXISTS (SELECT 1 FROM runs r WHERE r.sweep_id = s.id AND r.status IN ('pending', 'interrupted', 'paused')) "
      "ORDER BY s.id");
  std::vector<int64_t> ids;
  while (rows.step()) ids.push_back(rows.get_int(0));
  return ids;
}

NextWork claim_adaptive(Store& store, const AdaptiveSweep& sweep, const Holder& holder) {
  Database& db = store.db();
  // One write transaction from the first read: the rung tables, the decision and the
  // claim are one step, so no other worker decides on the same rungs meanwhile.
  Transaction tx(db);
  std::vector<RunAtRungs> runs;
  std::map<int64_t, Bracket> brackets;
  if (sweep.pauses()) {
    runs = runs_at_rungs(db, sweep.sweep_id);
    brackets = rung_tables(db, sweep.early_stop, runs);
    if (auto promoted = promote(store, sweep, brackets, holder)) {
      tx.commit();
      return *promoted;
    }
  }
  NextWork work;
  work.pause_axis = sweep.early_stop.axis;
  if (const auto next = next_waiting(db, sweep)) {
    work.run = RunQueue(db).take_run(next->first, holder);
    work.pause_at = pause_target(db, sweep, next->first, next->second);
    tx.commit();
    return work;
  }
  if (sweep.proposes()) {
    if (const int64_t proposed = propose_run(store, sweep); proposed > 0) {
      work.run = RunQueue(db).take_run(proposed, holder);
      work.pause_at = pause_target(db, sweep, proposed, work.run->index);
      tx.commit();
      return work;
    }
  }
  auto training = db.prepare("SELECT count(*) FROM runs WHERE sweep_id = ? AND status = ?");
  training.bind(1, sweep.sweep_id).bind(2, to_string(RunStatus::Running));
  training.step();
  const int64_t training_count = training.get_int(0);
  if (training_count > 0 && sweep.pauses()) {
    // A run still training may reach a rung and make a promotion: ask again soon.
    work.wait = true;
    return work;
  }
  training.reset();
  if (sweep.pauses() && training_count == 0) stop_paused(store, sweep, runs, brackets);
  tx.commit();
  return work;
}

}  // namespace torchsweep
