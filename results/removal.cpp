#include "results/removal.h"

#include <algorithm>

#include "base/error.h"
#include "base/paths.h"
#include "results/metric_sink.h"
#include "results/run_selection.h"

namespace torchsweep {

namespace {

std::string joined(const std::vector<int64_t>& ids) {
  std::string out;
  for (const auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

}  // namespace

Removal plan_removal(Database& db, const std::vector<int64_t>& run_ids, const std::vector<std::string>& sweeps) {
  Removal plan;
  for (const auto& sweep : sweeps) {
    const auto [condition, binds] = sweep_condition(sweep, "s.id");
    auto stmt = db.prepare("SELECT s.id FROM sweeps s WHERE " + condition);
    for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
    bool any = false;
    while (stmt.step()) {
      plan.sweep_ids.push_back(stmt.get_int(0));
      any = true;
    }
    if (!any) throw InputError("no sweep \"" + sweep + "\" in " + db.path());
  }
  std::sort(plan.sweep_ids.begin(), plan.sweep_ids.end());
  plan.sweep_ids.erase(std::unique(plan.sweep_ids.begin(), plan.sweep_ids.end()), plan.sweep_ids.end());

  plan.run_ids = run_ids;
  auto of_sweep = db.prepare("SELECT id FROM runs WHERE sweep_id = ?");
  for (const auto sweep_id : plan.sweep_ids) {
    of_sweep.bind(1, sweep_id);
    while (of_sweep.step()) plan.run_ids.push_back(of_sweep.get_int(0));
    of_sweep.reset();
  }
  std::sort(plan.run_ids.begin(), plan.run_ids.end());
  plan.run_ids.erase(std::unique(plan.run_ids.begin(), plan.run_ids.end()), plan.run_ids.end());

  auto run = db.prepare("SELECT status, artifact_dir, host, pid FROM runs WHERE id = ?");
  for (const auto id : plan.run_ids) {
    run.bind(1, id);
    if (!run.step()) throw InputError("no run with id " + std::to_string(id) + " in " + db.path());
    if (run.get_text(0) == to_string(RunStatus::Running))
      throw InputError("run " + std::to_string(id) + " is running (pid " +
                       (run.is_null(3) ? std::string("?") : std::to_string(run.get_int(3))) + " on " +
                       (run.is_null(2) ? std::string("?") : run.get_text(2)) + "): stop it first, or wait for it to end");
    if (!run.is_null(1) && is_directory(run.get_text(1))) plan.artifact_dirs.push_back(run.get_text(1));
    run.reset();
  }
  return plan;
}

void remove(Database& db, const Removal& removal) {
  if (removal.run_ids.empty() && removal.sweep_ids.empty()) return;
  {
    Transaction tx(db);
    // The ids go in as one bound list (json_each), never pasted into the SQL.
    const std::string runs = "[" + joined(removal.run_ids) + "]";
    const std::string in_runs = " IN (SELECT value FROM json_each(?))";
    for (const char* table : {"metrics", "metric_keys", "params", "summaries", "artifacts", "run_tags"})
      db.prepare(std::string("DELETE FROM ") + table + " WHERE run_id" + in_runs).bind(1, runs).run();
    db.prepare("UPDATE runs SET rerun_of = NULL WHERE rerun_of" + in_runs).bind(1, runs).run();
    db.prepare("DELETE FROM runs WHERE id" + in_runs).bind(1, runs).run();
    db.prepare("DELETE FROM sweeps WHERE id IN (SELECT value FROM json_each(?))")
        .bind(1, "[" + joined(removal.sweep_ids) + "]")
        .run();
    tx.commit();
  }
  for (const auto& dir : removal.artifact_dirs) remove_all(dir);
}

}  // namespace torchsweep
