#include "launch/rerun.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "launch/decision_replay.h"
#include "launch/local_launcher.h"
#include "spec/spec.h"

namespace torchsweep {

namespace {

/// The sweeps.adaptive of a rerun: the original's, marked as replayed.
std::string replay_record(const std::string& original) {
  auto record = nlohmann::json::parse(original, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object() || record.empty()) return "{}";
  record["replay"] = true;
  return record.dump();
}

/// How the points of runs `b` differ from those of runs `a` (paired in order).
struct PointDiff {
  int64_t points = 0, differing = 0;
  double max_abs_diff = 0.0;
};

/// The new run that re-executes recorded run `original_id`, from a row holding its
/// config_hash, config_json, swept_json, seed and device from column `first` on. What
/// validation recorded from outside the config (a model file's hash) must still hold, or
/// the rerun would train something else: refused before anything is written.
NewRun new_rerun(Statement& row, int first, int64_t original_id, int64_t index) {
  NewRun run;
  run.index = index;
  run.config_hash = row.get_text(first);
  run.config_json = row.get_text(first + 1);
  run.swept_json = row.get_text(first + 2);
  run.seed = row.get_int(first + 3);
  run.device = row.get_text(first + 4);
  run.rerun_of = original_id;
  const auto config = nlohmann::json::parse(run.config_json);
  try {
    recheck_recorded_config(config, "run " + std::to_string(original_id) + "'s config");
  } catch (const InputError& e) {
    throw InputError(std::string("rerun: ") + e.what());
  }
  run.params = flatten_config(config);
  return run;
}

PointDiff diff_points(Database& db, int64_t a, int64_t b) {
  // Point by point, both ways; NaN is stored as NULL, and NULL IS NULL counts as equal.
  auto diff = db.prepare(R"sql(
SELECT
  (SELECT count(*) FROM metrics WHERE run_id = ?1),
  (SELECT count(*) FROM metrics a LEFT JOIN metrics b ON b.run_id = ?2 AND b.key = a.key AND b.step = a.step
     WHERE a.run_id = ?1 AND (b.run_id IS NULL OR a.value IS NOT b.value))
  + (SELECT count(*) FROM metrics b LEFT JOIN metrics a ON a.run_id = ?1 AND a.key = b.key AND a.step = b.step
     WHERE b.run_id = ?2 AND a.run_id IS NULL),
  (SELECT coalesce(max(abs(a.value - b.value)), 0) FROM metrics a JOIN metrics b
     ON b.run_id = ?2 AND b.key = a.key AND b.step = a.step WHERE a.run_id = ?1)
)sql");
  diff.bind(1, a).bind(2, b);
  diff.step();
  return {diff.get_int(0), diff.get_int(1), diff.get_double(2)};
}

}  // namespace

SweepRerunOutcome rerun_sweep(Store& store, int64_t sweep_id, std::ostream& out, WorkerOptions worker) {
  Database& db = store.db();
  auto original = db.prepare(
      "SELECT name, spec_text, coalesce(spec_path, ''), overrides, uid, adaptive FROM sweeps WHERE id = ?");
  original.bind(1, sweep_id);
  if (!original.step()) throw InputError("rerun: no sweep " + std::to_string(sweep_id) + " in " + db.path());
  NewSweep sweep;
  sweep.name = original.get_text(0);
  sweep.spec_text = original.get_text(1);
  sweep.spec_path = original.get_text(2);
  sweep.overrides_json = original.get_text(3);
  sweep.spec_hash = "rerun:" + original.get_text(4);  // running the spec again must not continue a rerun
  sweep.mode = "rerun";
  sweep.adaptive_json = replay_record(original.get_text(5));
  original.reset();

  auto rows = db.prepare(
      "SELECT id, config_hash, config_json, swept_json, seed, device, kind FROM runs WHERE sweep_id = ? "
      "AND status IN ('finished', 'stopped', 'diverged') AND kind = 'train' ORDER BY run_index");
  rows.bind(1, sweep_id);
  std::vector<NewRun> runs;
  std::vector<int64_t> originals;
  while (rows.step()) {
    NewRun run = new_rerun(rows, 1, rows.get_int(0), static_cast<int64_t>(runs.size()));
    run.kind = rows.get_text(6);
    originals.push_back(run.rerun_of);
    runs.push_back(std::move(run));
  }
  if (runs.empty())
    throw InputError("rerun: sweep " + std::to_string(sweep_id) +
                     " has no training run that ended (finished, stopped or diverged)");
  SweepRerunOutcome outcome;
  outcome.original = sweep_id;
  const auto [new_sweep, ids] = store.create_sweep(sweep, runs);
  outcome.sweep_id = new_sweep;
  outcome.runs = static_cast<int64_t>(ids.size());
  {
    Transaction tx(db);
    outcome.decisions = copy_decisions(db, sweep_id, new_sweep);
    tx.commit();
  }
  out << fmt::format("rerun of sweep {} as sweep {}: {} run(s), {} decision(s) replayed\n", sweep_id, new_sweep,
                     outcome.runs, outcome.decisions);
  worker.sweep_id = new_sweep;
  run_worker(store, out, worker);
  for (size_t i = 0; i < ids.size(); ++i) {
    const PointDiff d = diff_points(db, originals[i], ids[i]);
    outcome.points += d.points;
    outcome.differing += d.differing;
    outcome.max_abs_diff = std::max(outcome.max_abs_diff, d.max_abs_diff);
  }
  if (outcome.identical())
    out << fmt::format("sweep {}: all {} metric points of its {} run(s) identical to sweep {}\n", new_sweep,
                       outcome.points, outcome.runs, sweep_id);
  else
    out << fmt::format("sweep {}: {} of {} metric points differ from sweep {} (largest difference {:.3g})\n", new_sweep,
                       outcome.differing, outcome.points, sweep_id, outcome.max_abs_diff);
  return outcome;
}

RerunOutcome rerun(Store& store, int64_t run_id, std::ostream& out, WorkerOptions worker) {
  Database& db = store.db();
  auto original = db.prepare(
      "SELECT r.config_hash, r.config_json, r.swept_json, r.seed, r.device, s.name, s.spec_text, "
      "coalesce(s.spec_path, ''), s.overrides, r.sweep_id, s.adaptive, r.kind FROM runs r "
      "JOIN sweeps s ON s.id = r.sweep_id WHERE r.id = ?");
  original.bind(1, run_id);
  if (!original.step()) throw InputError("rerun: no run " + std::to_string(run_id) + " in " + db.path());
  if (original.get_text(11) != "train")
    throw InputError("rerun: run " + std::to_string(run_id) + " is an " + original.get_text(11) +
                     " run, not a training run: run `torchsweep lr-find` on its spec again");
  const NewRun run = new_rerun(original, 0, run_id, 0);
  NewSweep sweep;
  sweep.name = original.get_text(5);
  sweep.spec_text = original.get_text(6);
  // Not the spec's hash: running the spec again must not continue a rerun.
  sweep.spec_hash = "rerun:" + run.config_hash;
  sweep.spec_path = original.get_text(7);
  sweep.overrides_json = original.get_text(8);
  sweep.mode = "rerun";
  const int64_t original_sweep = original.get_int(9);
  sweep.adaptive_json = replay_record(original.get_text(10));
  const auto [sweep_id, ids] = store.create_sweep(sweep, {run});
  {
    Transaction tx(db);
    copy_decisions(db, original_sweep, sweep_id, run_id);
    tx.commit();
  }

  RerunOutcome outcome;
  outcome.original = run_id;
  outcome.sweep_id = sweep_id;
  outcome.run_id = ids.front();
  out << fmt::format("rerun of run {} as run {} (sweep {}; results list --sweep {} shows it, --sweep all with the rest)\n",
                     run_id, outcome.run_id, sweep_id, sweep_id);
  worker.sweep_id = sweep_id;
  run_worker(store, out, worker);

  auto status = db.prepare("SELECT status FROM runs WHERE id = ?");
  status.bind(1, outcome.run_id);
  status.step();
  outcome.status = parse_run_status(status.get_text(0));
  const PointDiff d = diff_points(db, run_id, outcome.run_id);
  outcome.points = d.points;
  outcome.differing = d.differing;
  outcome.max_abs_diff = d.max_abs_diff;
  if (outcome.identical())
    out << fmt::format("run {} {}: all {} metric points identical to run {}\n", outcome.run_id,
                       to_string(outcome.status), outcome.points, run_id);
  else
    out << fmt::format("run {} {}: {} of {} metric points differ from run {} (largest difference {:.3g}){}\n",
                       outcome.run_id, to_string(outcome.status), outcome.differing, outcome.points, run_id,
                       outcome.max_abs_diff,
                       nlohmann::json::parse(run.config_json)["train"].value("deterministic", false)
                           ? ""
                           : "; set train.deterministic=true for bit-identical reruns");
  return outcome;
}

}  // namespace torchsweep
