#include "results/merge.h"

#include <sys/stat.h>

#include "results/schema.h"
#include "runner/error.h"

namespace torchsweep {

namespace {
int64_t count(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  stmt.step();
  return stmt.get_int(0);
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
  Store::open(shard_path);
  Database& db = into.db();
  db.prepare("ATTACH DATABASE ? AS shard").bind(1, shard_path).run();
  MergeCounts counts;
  try {
    Transaction tx(db);
    const int64_t runs_before = count(db, "SELECT count(*) FROM main.runs");
    const int64_t sweeps_before = count(db, "SELECT count(*) FROM main.sweeps");
    db.exec(R"sql(
INSERT INTO main.sweeps(name, spec_text, spec_hash, spec_path, overrides, mode, created_at, uid)
  SELECT name, spec_text, spec_hash, spec_path, overrides, mode, created_at, uid FROM shard.sweeps
  WHERE uid NOT IN (SELECT uid FROM main.sweeps);
CREATE TEMP TABLE merge_runs AS
  SELECT id AS old_id, uid FROM shard.runs WHERE uid NOT IN (SELECT uid FROM main.runs);
INSERT INTO main.runs(sweep_id, run_index, config_hash, config_json, swept_json, status, seed, device, device_name,
                      started_at, ended_at, wall_seconds, steps, error, host, torchsweep_version, torch_version,
                      git_commit, command, artifact_dir, checkpoint, checkpoint_epoch, uid)
  SELECT (SELECT m.id FROM main.sweeps m WHERE m.uid = s.uid), r.run_index, r.config_hash, r.config_json,
         r.swept_json, r.status, r.seed, r.device, r.device_name, r.started_at, r.ended_at, r.wall_seconds, r.steps,
         r.error, r.host, r.torchsweep_version, r.torch_version, r.git_commit, r.command, r.artifact_dir,
         r.checkpoint, r.checkpoint_epoch, r.uid
  FROM shard.runs r JOIN shard.sweeps s ON s.id = r.sweep_id
  WHERE r.id IN (SELECT old_id FROM merge_runs) ORDER BY r.id;
CREATE TEMP TABLE merge_ids AS
  SELECT t.old_id, m.id AS new_id FROM merge_runs t JOIN main.runs m ON m.uid = t.uid;
INSERT INTO main.params(run_id, key, value)
  SELECT i.new_id, p.key, p.value FROM shard.params p JOIN merge_ids i ON i.old_id = p.run_id;
INSERT INTO main.metrics(run_id, key, step, value)
  SELECT i.new_id, m.key, m.step, m.value FROM shard.metrics m JOIN merge_ids i ON i.old_id = m.run_id;
INSERT INTO main.metric_keys(run_id, key, position)
  SELECT i.new_id, k.key, k.position FROM shard.metric_keys k JOIN merge_ids i ON i.old_id = k.run_id;
INSERT INTO main.summaries
  SELECT i.new_id, s.key, s.count, s.first, s.last, s.min, s.max, s.step_min, s.step_max, s.last_step, s.last_k,
         s.mean_last_k, s.step_half FROM shard.summaries s JOIN merge_ids i ON i.old_id = s.run_id;
INSERT INTO main.artifacts(run_id, kind, path, epoch, created_at)
  SELECT i.new_id, a.kind, a.path, a.epoch, a.created_at FROM shard.artifacts a JOIN merge_ids i ON i.old_id = a.run_id;
)sql");
    counts.sweeps = count(db, "SELECT count(*) FROM main.sweeps") - sweeps_before;
    counts.runs = count(db, "SELECT count(*) FROM main.runs") - runs_before;
    counts.skipped = count(db, "SELECT count(*) FROM shard.runs") - counts.runs;
    db.exec("DROP TABLE temp.merge_runs; DROP TABLE temp.merge_ids;");
    tx.commit();
  } catch (...) {
    try {
      db.exec("DROP TABLE IF EXISTS temp.merge_runs; DROP TABLE IF EXISTS temp.merge_ids;");
    } catch (...) {
    }
    db.exec("DETACH DATABASE shard");
    throw;
  }
  db.exec("DETACH DATABASE shard");
  return counts;
}

}  // namespace torchsweep
