#include "results/merge.h"

#include <sys/stat.h>

#include "base/error.h"
#include "base/paths.h"
#include "results/artifact_owner.h"
#include "results/schema.h"

namespace torchsweep {

namespace {
/// How far along a status is: a shard's run replaces the target's only when further.
/// Finished, diverged and stopped (done) rank above every other status; a run paused at
/// a rung is further than one that never got there, and goes on to be done (or failed).
std::string status_rank_sql(const std::string& column) {
  std::string sql = "(CASE " + column;
  int rank = 0;
  for (const RunStatus status :
       {RunStatus::Pending, RunStatus::Running, RunStatus::Interrupted, RunStatus::Paused, RunStatus::Failed})
    sql += " WHEN '" + std::string(to_string(status)) + "' THEN " + std::to_string(rank++);
  return sql + " ELSE " + std::to_string(rank) + " END)";
}

int64_t count(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  stmt.step();
  return stmt.get_int(0);
}

/// The artifact folders of the runs just merged (temp.merge_ids) that the shard owns: an
/// added run's is copied into the target's own folder and its rows point there; an
/// updated run's is returned, with the marker that hands it to the target, for after
/// the commit.
std::vector<std::pair<std::string, ArtifactOwner>> move_artifact_folders(Database& db, const DatabaseIdentity& shard,
                                                                          MergeCounts& counts) {
  struct Merged {
    RunFolderRecord in_shard;
    int64_t new_id;
    bool updated;
  };
  std::vector<Merged> merged;
  {
    auto rows = db.prepare(
        "SELECT i.old_id, r.uid, r.config_hash, coalesce(r.artifact_dir, ''), coalesce(r.checkpoint, ''), i.new_id, "
        "i.old_id IN (SELECT old_id FROM temp.merge_upgrades) FROM temp.merge_ids i JOIN shard.runs r ON r.id = i.old_id "
        "WHERE r.artifact_dir IS NOT NULL ORDER BY i.new_id");
    while (rows.step())
      merged.push_back({{rows.get_int(0), rows.get_text(1), rows.get_text(2), rows.get_text(3), rows.get_text(4)},
                        rows.get_int(5), rows.get_int(6) != 0});
  }  // finalized: the shard is detached after
  std::vector<std::pair<std::string, ArtifactOwner>> handed;
  if (merged.empty()) return handed;
  ArtifactOwnership target(db);
  ArtifactOwnership shard_ownership(shard);
  const std::string root = default_artifacts_root(db.path());
  for (const auto& run : merged) {
    const FolderStanding standing = shard_ownership.standing(run.in_shard.artifact_dir, run.in_shard);
    // An unmarked folder the shard records is its own (a shard written before markers).
    if (standing != FolderStanding::Own && standing != FolderStanding::Unmarked) continue;
    const RunFolderRecord here = run_folder_record(db, run.new_id);
    if (run.updated) {
      handed.emplace_back(run.in_shard.artifact_dir, target.marker_for(here));
      ++counts.folders_handed;
      continue;
    }
    const std::string to = free_run_folder(target, here, root);
    if (!path_exists(to)) {
      copy_tree(run.in_shard.artifact_dir, to);
      write_owner(to, target.marker_for(here));
    }
    rebase_run_folder(db, run.new_id, run.in_shard.artifact_dir, to, true);
    ++counts.folders_copied;
  }
  return handed;
}
}  // namespace

MergeCounts merge_shard(Store& into, const std::string& shard_path) {
  struct stat info {};
  if (::stat(shard_path.c_str(), &info) != 0) throw InputError(shard_path + ": no such shard database");
  {
    Database probe(shard_path, Database::Mode::ReadOnly);
    if (schema_version(probe) < 1) throw InputError(shard_path + ": not a torchsweep results database");
  }
  // Bring the shard to the current schema first (it may come from an older build).
  const DatabaseIdentity shard_identity = database_identity(Store::open(shard_path)->db());
  Database& db = into.db();
  db.prepare("ATTACH DATABASE ? AS shard").bind(1, shard_path).run();
  MergeCounts counts;
  try {
    Transaction tx(db);
    const int64_t runs_before = count(db, "SELECT count(*) FROM main.runs");
    const int64_t sweeps_before = count(db, "SELECT count(*) FROM main.sweeps");
    db.exec(R"sql(
INSERT INTO main.sweeps(name, spec_text, spec_hash, spec_path, overrides, mode, created_at, launcher,
                        launcher_state, uid, adaptive)
  SELECT name, spec_text, spec_hash, spec_path, overrides, mode, created_at, launcher, launcher_state, uid, adaptive
  FROM shard.sweeps WHERE uid NOT IN (SELECT uid FROM main.sweeps);
CREATE TEMP TABLE merge_runs AS
  SELECT id AS old_id, uid FROM shard.runs WHERE uid NOT IN (SELECT uid FROM main.runs);
CREATE TEMP TABLE merge_upgrades AS
  SELECT r.id AS old_id, r.uid FROM shard.runs r JOIN main.runs m ON m.uid = r.uid
  WHERE )sql" + status_rank_sql("r.status") + " > " + status_rank_sql("m.status") + R"sql(;
INSERT INTO main.runs(sweep_id, run_index, config_hash, config_json, swept_json, status, seed, device, device_name,
                      started_at, ended_at, wall_seconds, steps, error, host, torchsweep_version, torch_version,
                      git_commit, command, artifact_dir, checkpoint, checkpoint_epoch, pid, heartbeat_at, attempts,
                      engine, engine_note, note, uid, kind, memory_format)
  SELECT (SELECT m.id FROM main.sweeps m WHERE m.uid = s.uid), r.run_index, r.config_hash, r.config_json,
         r.swept_json, r.status, r.seed, r.device, r.device_name, r.started_at, r.ended_at, r.wall_seconds, r.steps,
         r.error, r.host, r.torchsweep_version, r.torch_version, r.git_commit, r.command, r.artifact_dir,
         r.checkpoint, r.checkpoint_epoch, r.pid, r.heartbeat_at, r.attempts, r.engine, r.engine_note, r.note, r.uid,
         r.kind, r.memory_format
  FROM shard.runs r JOIN shard.sweeps s ON s.id = r.sweep_id
  WHERE r.id IN (SELECT old_id FROM merge_runs) ORDER BY r.id;
UPDATE main.runs AS m SET
  status = r.status, device = r.device, device_name = r.device_name, started_at = r.started_at,
  ended_at = r.ended_at, wall_seconds = r.wall_seconds, steps = r.steps, error = r.error, host = r.host,
  torchsweep_version = r.torchsweep_version, torch_version = r.torch_version, git_commit = r.git_commit,
  command = r.command, artifact_dir = r.artifact_dir, checkpoint = r.checkpoint,
  checkpoint_epoch = r.checkpoint_epoch, pid = r.pid, heartbeat_at = r.heartbeat_at, attempts = r.attempts,
  engine = r.engine, engine_note = r.engine_note, note = r.note, memory_format = r.memory_format
  FROM shard.runs AS r WHERE r.uid = m.uid AND r.id IN (SELECT old_id FROM merge_upgrades);
CREATE TEMP TABLE merge_ids AS
  SELECT t.old_id, m.id AS new_id FROM (SELECT * FROM merge_runs UNION ALL SELECT * FROM merge_upgrades) t
  JOIN main.runs m ON m.uid = t.uid;
UPDATE main.runs SET rerun_of = (SELECT m.id FROM shard.runs r JOIN shard.runs o ON o.id = r.rerun_of
                                 JOIN main.runs m ON m.uid = o.uid WHERE r.uid = main.runs.uid)
  WHERE id IN (SELECT new_id FROM merge_ids);
-- An added run's lane group is numbered again here, by its group's first run in this
-- database, so that numbers stay unique in it; an updated run keeps the group it has.
UPDATE main.runs SET lane_group = (
    SELECT min(m.id) FROM shard.runs r JOIN shard.runs g ON g.lane_group = r.lane_group JOIN main.runs m ON m.uid = g.uid
    WHERE r.uid = main.runs.uid)
  WHERE id IN (SELECT m.id FROM main.runs m JOIN merge_runs t ON t.uid = m.uid);
DELETE FROM main.params WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
DELETE FROM main.metrics WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
DELETE FROM main.metric_keys WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
DELETE FROM main.summaries WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
DELETE FROM main.metric_packs WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
DELETE FROM main.artifacts WHERE run_id IN (SELECT m.id FROM main.runs m JOIN merge_upgrades u ON u.uid = m.uid);
INSERT INTO main.params(run_id, key, value)
  SELECT i.new_id, p.key, p.value FROM shard.params p JOIN merge_ids i ON i.old_id = p.run_id;
INSERT INTO main.metrics(run_id, key, step, value)
  SELECT i.new_id, m.key, m.step, m.value FROM shard.metrics m JOIN merge_ids i ON i.old_id = m.run_id;
INSERT INTO main.metric_keys(run_id, key, position, axis)
  SELECT i.new_id, k.key, k.position, k.axis FROM shard.metric_keys k JOIN merge_ids i ON i.old_id = k.run_id;
INSERT INTO main.summaries
  SELECT i.new_id, s.key, s.count, s.first, s.last, s.min, s.max, s.step_min, s.step_max, s.last_step, s.last_k,
         s.mean_last_k, s.step_half FROM shard.summaries s JOIN merge_ids i ON i.old_id = s.run_id;
INSERT INTO main.metric_packs(run_id, key, count, first_step, last_step, step_stride, steps, vals)
  SELECT i.new_id, p.key, p.count, p.first_step, p.last_step, p.step_stride, p.steps, p.vals
  FROM shard.metric_packs p JOIN merge_ids i ON i.old_id = p.run_id;
INSERT INTO main.artifacts(run_id, kind, path, epoch, created_at)
  SELECT i.new_id, a.kind, a.path, a.epoch, a.created_at FROM shard.artifacts a JOIN merge_ids i ON i.old_id = a.run_id;
)sql");
    // What an adaptive sweep decided. A rung a run reached is a fact whoever recorded it:
    // the rows of every run of the shard (by uid) that the target lacks. A decision is
    // numbered per database (seq), so two shards of one sweep number theirs alike: a
    // shard's decision the target does not hold already (the same sweep, run, action,
    // rule, place and time) is appended after the target's, in the shard's order.
    db.exec(R"sql(
INSERT OR IGNORE INTO main.rungs(run_id, rung, at, value, reached_at)
  SELECT m.id, g.rung, g.at, g.value, g.reached_at
  FROM shard.rungs g JOIN shard.runs r ON r.id = g.run_id JOIN main.runs m ON m.uid = r.uid;
CREATE TEMP TABLE merge_decisions AS
  SELECT ms.id AS sweep_id, d.seq AS old_seq, m.id AS run_id, d.action, d.rule, d.metric, d.axis, d.at, d.rung,
         d.value, d.threshold, d.seen, d.seed, d.note, d.decided_at
  FROM shard.decisions d JOIN shard.sweeps s ON s.id = d.sweep_id JOIN main.sweeps ms ON ms.uid = s.uid
  LEFT JOIN shard.runs r ON r.id = d.run_id LEFT JOIN main.runs m ON m.uid = r.uid;
DELETE FROM temp.merge_decisions WHERE EXISTS (
  SELECT 1 FROM main.decisions x WHERE x.sweep_id = merge_decisions.sweep_id AND x.run_id IS merge_decisions.run_id
    AND x.action = merge_decisions.action AND x.rule = merge_decisions.rule AND x.at IS merge_decisions.at
    AND x.rung IS merge_decisions.rung AND x.decided_at = merge_decisions.decided_at);
CREATE TEMP TABLE merge_numbered AS
  SELECT d.*, (SELECT coalesce(max(x.seq), 0) FROM main.decisions x WHERE x.sweep_id = d.sweep_id) +
              row_number() OVER (PARTITION BY d.sweep_id ORDER BY d.old_seq) AS new_seq
  FROM temp.merge_decisions d;
INSERT INTO main.decisions(sweep_id, seq, run_id, action, rule, metric, axis, at, rung, value, threshold, seen, seed,
                           note, decided_at)
  SELECT sweep_id, new_seq, run_id, action, rule, metric, axis, at, rung, value, threshold, seen, seed, note,
         decided_at
  FROM temp.merge_numbered ORDER BY sweep_id, new_seq;
)sql");
    counts.decisions = count(db, "SELECT count(*) FROM temp.merge_numbered");
    db.exec("DROP TABLE temp.merge_decisions; DROP TABLE temp.merge_numbered;");
    const auto handed = move_artifact_folders(db, shard_identity, counts);
    counts.sweeps = count(db, "SELECT count(*) FROM main.sweeps") - sweeps_before;
    counts.runs = count(db, "SELECT count(*) FROM main.runs") - runs_before;
    counts.updated = count(db, "SELECT count(*) FROM temp.merge_upgrades");
    counts.skipped = count(db, "SELECT count(*) FROM shard.runs") - counts.runs - counts.updated;
    db.exec("DROP TABLE temp.merge_runs; DROP TABLE temp.merge_upgrades; DROP TABLE temp.merge_ids;");
    tx.commit();
    // Handed over only once the target records the runs: a failed merge leaves them the shard's.
    for (const auto& [dir, owner] : handed) write_owner(dir, owner);
  } catch (...) {
    try {
      db.exec("DROP TABLE IF EXISTS temp.merge_runs; DROP TABLE IF EXISTS temp.merge_upgrades; "
              "DROP TABLE IF EXISTS temp.merge_ids; DROP TABLE IF EXISTS temp.merge_decisions; "
              "DROP TABLE IF EXISTS temp.merge_numbered;");
    } catch (...) {
    }
    db.exec("DETACH DATABASE shard");
    throw;
  }
  db.exec("DETACH DATABASE shard");
  return counts;
}

}  // namespace torchsweep
