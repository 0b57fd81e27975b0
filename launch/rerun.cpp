#include "launch/rerun.h"

#include <fmt/format.h>

#include "base/error.h"
#include "launch/local_launcher.h"
#include "spec/spec.h"

namespace torchsweep {

RerunOutcome rerun(Store& store, int64_t run_id, std::ostream& out, WorkerOptions worker) {
  Database& db = store.db();
  auto original = db.prepare(
      "SELECT r.config_hash, r.config_json, r.swept_json, r.seed, r.device, s.name, s.spec_text, "
      "coalesce(s.spec_path, ''), s.overrides FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE r.id = ?");
  original.bind(1, run_id);
  if (!original.step()) throw InputError("rerun: no run " + std::to_string(run_id) + " in " + db.path());
  NewRun run;
  run.index = 0;
  run.config_hash = original.get_text(0);
  run.config_json = original.get_text(1);
  run.swept_json = original.get_text(2);
  run.seed = original.get_int(3);
  run.device = original.get_text(4);
  // What validation recorded from outside the config (a model file's hash) must still
  // hold, or the rerun would train something else: refused before anything is written.
  try {
    recheck_recorded_config(nlohmann::json::parse(run.config_json), "run " + std::to_string(run_id) + "'s config");
  } catch (const InputError& e) {
    throw InputError(std::string("rerun: ") + e.what());
  }
  run.params = flatten_config(nlohmann::json::parse(run.config_json));
  run.rerun_of = run_id;
  NewSweep sweep;
  sweep.name = original.get_text(5);
  sweep.spec_text = original.get_text(6);
  // Not the spec's hash: running the spec again must not continue a rerun.
  sweep.spec_hash = "rerun:" + run.config_hash;
  sweep.spec_path = original.get_text(7);
  sweep.overrides_json = original.get_text(8);
  sweep.mode = "rerun";
  const auto [sweep_id, ids] = store.create_sweep(sweep, {run});

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
  diff.bind(1, run_id).bind(2, outcome.run_id);
  diff.step();
  outcome.points = diff.get_int(0);
  outcome.differing = diff.get_int(1);
  outcome.max_abs_diff = diff.get_double(2);
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
