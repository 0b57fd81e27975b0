#include "results/removal.h"

#include <algorithm>

#include "base/error.h"
#include "base/paths.h"
#include "results/artifact_owner.h"
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

  auto run = db.prepare("SELECT status, host, pid FROM runs WHERE id = ?");
  ArtifactOwnership ownership(db);
  const std::string own_root = default_artifacts_root(db.path());
  for (const auto id : plan.run_ids) {
    run.bind(1, id);
    if (!run.step()) throw InputError("no run with id " + std::to_string(id) + " in " + db.path());
    if (run.get_text(0) == to_string(RunStatus::Running))
      throw InputError("run " + std::to_string(id) + " is running (pid " +
                       (run.is_null(2) ? std::string("?") : std::to_string(run.get_int(2))) + " on " +
                       (run.is_null(1) ? std::string("?") : run.get_text(1)) + "): stop it first, or wait for it to end");
    run.reset();
    const RunFolderRecord record = run_folder_record(db, id);
    // The rule a continuing run follows too: only a folder the run would continue in place.
    const FolderClaim claim = claim_run_folder(ownership, record, own_root);
    if (claim.own)
      plan.artifact_dirs.push_back(record.artifact_dir);
    else if (claim.standing != FolderStanding::Missing)
      plan.kept_dirs.push_back({record.artifact_dir, "it " + claim.why_not});
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
    for (const char* table : {"metrics", "metric_packs", "metric_keys", "params", "summaries", "artifacts", "run_tags",
                              "rungs", "decisions"})
      db.prepare(std::string("DELETE FROM ") + table + " WHERE run_id" + in_runs).bind(1, runs).run();
    // A sweep's decisions go with it (a proposal whose run was never made names none).
    db.prepare("DELETE FROM decisions WHERE sweep_id IN (SELECT value FROM json_each(?))")
        .bind(1, "[" + joined(removal.sweep_ids) + "]")
        .run();
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
