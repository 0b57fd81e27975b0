#include "results/schema.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "results/lane_key.h"
#include "results/metric_packs.h"

namespace torchsweep {

namespace {

// Migration N brings a database from version N-1 to N. Append; never edit a shipped one.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> steps = {
      // 1: the contract tables.
      R"sql(
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  spec_text   TEXT NOT NULL,
  spec_hash   TEXT NOT NULL,
  spec_path   TEXT,
  overrides   TEXT NOT NULL DEFAULT '[]',
  mode        TEXT NOT NULL DEFAULT 'grid',
  created_at  TEXT NOT NULL
);
CREATE TABLE runs (
  id                  INTEGER PRIMARY KEY,
  sweep_id            INTEGER NOT NULL REFERENCES sweeps(id),
  run_index           INTEGER NOT NULL,
  config_hash         TEXT NOT NULL,
  config_json         TEXT NOT NULL,
  swept_json          TEXT NOT NULL DEFAULT '{}',
  status              TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending','running','finished','failed','diverged','interrupted')),
  seed                INTEGER,
  device              TEXT,
  device_name         TEXT,
  started_at          TEXT,
  ended_at            TEXT,
  wall_seconds        REAL,
  steps               INTEGER,
  error               TEXT,
  host                TEXT,
  torchsweep_version  TEXT,
  torch_version       TEXT,
  git_commit          TEXT,
  command             TEXT,
  artifact_dir        TEXT,
  checkpoint          TEXT,
  checkpoint_epoch    INTEGER
);
CREATE INDEX runs_by_sweep ON runs(sweep_id, run_index);
CREATE INDEX runs_by_hash ON runs(config_hash);
CREATE INDEX sweeps_by_spec_hash ON sweeps(spec_hash);
CREATE TABLE params (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  key     TEXT NOT NULL,
  value,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params(key, value);
CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  key     TEXT NOT NULL,
  step    INTEGER NOT NULL,
  value   REAL,
  PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;
CREATE TABLE metric_keys (
  run_id    INTEGER NOT NULL REFERENCES runs(id),
  key       TEXT NOT NULL,
  position  INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
)sql",
      // 2: per-run metric summaries, artifacts, and ids that stay unique across
      // databases (so that merging shards is idempotent).
      R"sql(
CREATE TABLE summaries (
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  key          TEXT NOT NULL,
  count        INTEGER NOT NULL,
  first        REAL,
  last         REAL,
  min          REAL,
  max          REAL,
  step_min     INTEGER,
  step_max     INTEGER,
  last_step    INTEGER,
  last_k       INTEGER NOT NULL,
  mean_last_k  REAL,
  step_half    INTEGER,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX summaries_by_key ON summaries(key, last);
CREATE TABLE artifacts (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  kind        TEXT NOT NULL,
  path        TEXT NOT NULL,
  epoch       INTEGER,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, path)
) WITHOUT ROWID;
ALTER TABLE sweeps ADD COLUMN uid TEXT;
ALTER TABLE runs ADD COLUMN uid TEXT;
UPDATE sweeps SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
UPDATE runs SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
CREATE UNIQUE INDEX sweeps_by_uid ON sweeps(uid);
CREATE UNIQUE INDEX runs_by_uid ON runs(uid);
CREATE INDEX runs_by_status ON runs(status);
INSERT INTO artifacts(run_id, kind, path, epoch, created_at)
  SELECT id, 'checkpoint', checkpoint, checkpoint_epoch, coalesce(ended_at, started_at, '') FROM runs
  WHERE checkpoint IS NOT NULL;
)sql",
      // 3: runs at scale. Who holds a running run (host, pid, heartbeat) so that a
      // dead holder is noticed; how often it was started; reruns linked to their
      // original; how a sweep was launched (local or slurm) and where its shards are.
      R"sql(
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN rerun_of INTEGER REFERENCES runs(id);
ALTER TABLE sweeps ADD COLUMN launcher TEXT NOT NULL DEFAULT 'local';
ALTER TABLE sweeps ADD COLUMN shard_dir TEXT;
ALTER TABLE sweeps ADD COLUMN slurm_jobs TEXT;
UPDATE runs SET attempts = 1 WHERE status <> 'pending';
CREATE INDEX runs_to_claim ON runs(sweep_id, status, run_index);
)sql",
      // 4: the axis of each metric: optimizer steps, or epochs from 1 (rows written at an
      // epoch's end). Before, only the trainer's epoch rows used epoch numbers.
      R"sql(
ALTER TABLE metric_keys ADD COLUMN axis TEXT NOT NULL DEFAULT 'step' CHECK (axis IN ('step', 'epoch'));
UPDATE metric_keys SET axis = 'epoch'
  WHERE key IN ('train/loss_epoch', 'train/acc', 'val/loss', 'val/acc', 'test/loss', 'test/acc', 'lr');
)sql",
      // 5: what a launcher keeps about its sweep is one JSON object only that launcher
      // reads, so that another scheduler needs no columns of its own. Slurm's shard
      // folder and job ids move into it.
      R"sql(
ALTER TABLE sweeps ADD COLUMN launcher_state TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(launcher_state));
UPDATE sweeps SET launcher_state = json_object('shard_dir', shard_dir, 'jobs', json(coalesce(slurm_jobs, '{}')))
  WHERE shard_dir IS NOT NULL OR slurm_jobs IS NOT NULL;
ALTER TABLE sweeps DROP COLUMN shard_dir;
ALTER TABLE sweeps DROP COLUMN slurm_jobs;
)sql",
      // 6: how a run's steps ran (eager, fused; a captured CUDA graph later), so that a
      // fused run can be told from one trained alone.
      R"sql(
ALTER TABLE runs ADD COLUMN engine TEXT;
)sql",
      // 7: why a run's steps did not run as asked (a CUDA graph that could not be
      // captured, say), next to the engine they ran with.
      R"sql(
ALTER TABLE runs ADD COLUMN engine_note TEXT;
)sql",
      // 8: what people say about runs: tags (any number per run) and a free-text note.
      R"sql(
CREATE TABLE run_tags (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  tag     TEXT NOT NULL CHECK (length(tag) > 0),
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags(tag);
ALTER TABLE runs ADD COLUMN note TEXT;
)sql",
      // 9: one row per run for analysis (pandas, spreadsheets): the run's record, its
      // parameters as one JSON object (values keep their types; the seed and the device,
      // as resolved, are columns already) and the usual summaries as columns, every metric's last value as
      // another JSON object.
      R"sql(
CREATE VIEW runs_wide AS
SELECT r.id AS run_id, r.sweep_id, s.name AS sweep, r.run_index, r.status, r.seed, r.steps, r.wall_seconds,
  r.device, r.engine,
  (SELECT group_concat(tag, ',') FROM (SELECT tag FROM run_tags t WHERE t.run_id = r.id ORDER BY tag)) AS tags,
  r.note,
  (SELECT json_group_object(key, value) FROM params p WHERE p.run_id = r.id AND p.key NOT IN ('seed', 'device'))
    AS params,
  (SELECT last FROM summaries u WHERE u.run_id = r.id AND u.key = 'train/loss') AS "train/loss",
  (SELECT min FROM summaries u WHERE u.run_id = r.id AND u.key = 'train/loss') AS "train/loss.min",
  (SELECT last FROM summaries u WHERE u.run_id = r.id AND u.key = 'val/loss') AS "val/loss",
  (SELECT last FROM summaries u WHERE u.run_id = r.id AND u.key = 'val/acc') AS "val/acc",
  (SELECT max FROM summaries u WHERE u.run_id = r.id AND u.key = 'val/acc') AS "val/acc.max",
  (SELECT last FROM summaries u WHERE u.run_id = r.id AND u.key = 'test/loss') AS "test/loss",
  (SELECT last FROM summaries u WHERE u.run_id = r.id AND u.key = 'test/acc') AS "test/acc",
  (SELECT max FROM summaries u WHERE u.run_id = r.id AND u.key = 'test/acc') AS "test/acc.max",
  (SELECT json_group_object(key, last) FROM summaries u WHERE u.run_id = r.id) AS summaries
FROM runs r JOIN sweeps s ON s.id = r.sweep_id;
)sql",
      // 10: the database's identity, made once with the file (or at this upgrade) and kept
      // by copies of it: run folders name it in their owner.json, so that a checkpoint is
      // continued, and a folder deleted, only by the database it belongs to
      // (results/artifact_owner.h).
      R"sql(
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('uid', lower(hex(randomblob(16))));
)sql",
      // 11: sweeps that decide as they go. A run may wait at a rung (paused) or be
      // stopped by the sweep's early-stopping rule (stopped): runs.status admits both (see
      // allow_adaptive_statuses). A run says what kind it is: a training run of a sweep, or
      // an lr-find. Every decision an adaptive sweep takes (a stop, a promotion, a proposed
      // run) is a row of `decisions`, in the order taken, with what it saw; the values runs
      // reached at their rungs are rows of `rungs`. What a sweep decides by (its
      // early-stopping rule, its search) is recorded with it when it is expanded.
      R"sql(
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'train';
ALTER TABLE sweeps ADD COLUMN adaptive TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(adaptive));
CREATE TABLE decisions (
  sweep_id    INTEGER NOT NULL REFERENCES sweeps(id),
  seq         INTEGER NOT NULL,
  run_id      INTEGER REFERENCES runs(id),
  action      TEXT NOT NULL CHECK (action IN ('stop', 'promote', 'continue', 'propose')),
  rule        TEXT NOT NULL,
  metric      TEXT,
  axis        TEXT CHECK (axis IS NULL OR axis IN ('step', 'epoch')),
  at          INTEGER,
  rung        INTEGER,
  value       REAL,
  threshold   REAL,
  seen        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(seen)),
  seed        INTEGER,
  note        TEXT,
  decided_at  TEXT NOT NULL,
  PRIMARY KEY (sweep_id, seq)
);
CREATE INDEX decisions_by_run ON decisions(run_id);
CREATE TABLE rungs (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  rung        INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  value       REAL,
  reached_at  TEXT NOT NULL,
  PRIMARY KEY (run_id, rung)
) WITHOUT ROWID;
)sql",
      // 12: each ended run's curves packed, one row per metric (results/metric_packs.h):
      // a chart over 10,000 runs reads 10,000 rows, not 10 million. Rows of large blobs
      // are kept out of the key's B-tree (a rowid table), so that a lookup stays short.
      R"sql(
CREATE TABLE metric_packs (
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  key          TEXT NOT NULL,
  count        INTEGER NOT NULL,
  first_step   INTEGER NOT NULL,
  last_step    INTEGER NOT NULL,
  step_stride  INTEGER,
  steps        BLOB,
  vals         BLOB NOT NULL,
  PRIMARY KEY (run_id, key)
);
)sql",
      // 13: lane groups. Runs that share a number train together in one process, each
      // a lane that records what its run records alone (sweep/lane_groups.h); NULL: the
      // run trains alone. Decided when the sweep is expanded, so every launcher claims
      // the same groups. Numbered by the group's first run, unique in the database.
      R"sql(
ALTER TABLE runs ADD COLUMN lane_group INTEGER;
CREATE INDEX runs_by_lane_group ON runs(lane_group) WHERE lane_group IS NOT NULL;
)sql",
      // 14: the memory format a run's convolution weights had, as `train.memory_format:
      // auto` resolved it for the device and model when the run started (its config
      // says `auto`). NULL for runs started before: they trained as their config says.
      R"sql(
ALTER TABLE runs ADD COLUMN memory_format TEXT;
)sql",
  };
  return steps;
}

}  // namespace

const std::string& summary_select_sql() {
  // ?1 run id, ?2 k, ?3 metric key (NULL for all). NaN is stored as NULL and is left
  // out of min, max and the means.
  static const std::string sql = R"sql(
SELECT m.run_id AS run_id, m.key AS key, count(*) AS count,
  (SELECT value FROM metrics WHERE run_id = m.run_id AND key = m.key ORDER BY step LIMIT 1) AS first,
  (SELECT value FROM metrics WHERE run_id = m.run_id AND key = m.key ORDER BY step DESC LIMIT 1) AS last,
  min(m.value) AS min, max(m.value) AS max,
  (SELECT step FROM metrics WHERE run_id = m.run_id AND key = m.key AND value IS NOT NULL
     ORDER BY value, step LIMIT 1) AS step_min,
  (SELECT step FROM metrics WHERE run_id = m.run_id AND key = m.key AND value IS NOT NULL
     ORDER BY value DESC, step LIMIT 1) AS step_max,
  max(m.step) AS last_step, ?2 AS last_k,
  (SELECT avg(value) FROM (SELECT value FROM metrics WHERE run_id = m.run_id AND key = m.key
     ORDER BY step DESC LIMIT ?2)) AS mean_last_k,
  (SELECT min(h.step) FROM metrics h WHERE h.run_id = m.run_id AND h.key = m.key
     AND h.value <= 0.5 * (SELECT value FROM metrics WHERE run_id = m.run_id AND key = m.key ORDER BY step LIMIT 1))
     AS step_half
FROM metrics m WHERE m.run_id = ?1 AND (?3 IS NULL OR m.key = ?3) GROUP BY m.key
)sql";
  return sql;
}

void summarize_run(Database& db, int64_t run_id) {
  db.prepare("INSERT OR REPLACE INTO summaries(run_id, key, count, first, last, min, max, step_min, step_max, "
             "last_step, last_k, mean_last_k, step_half) " +
             summary_select_sql())
      .bind(1, run_id)
      .bind(2, static_cast<int64_t>(kSummaryLastK))
      .bind(3, nullptr)
      .run();
}

int schema_version(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  stmt.step();
  return static_cast<int>(stmt.get_int(0));
}

namespace {

/// WAL lets readers work while a run writes; it persists in the file, so it is set
/// once, by the store that creates the database (on a WAL file the pragma changes
/// nothing). Setting it takes the file's exclusive lock on top of a shared one, and
/// SQLite does not wait there (two such waiters would wait for each other): "database
/// is locked" at once when another process is creating the same file. So the switch is
/// tried again, for as long as the busy timeout would have waited.
void use_write_ahead_log(Database& db) {
  const auto give_up = std::chrono::steady_clock::now() + Database::kBusyTimeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    try {
      db.exec("PRAGMA journal_mode=WAL");
      return;
    } catch (const DatabaseError& e) {
      if (!e.is_busy() || std::chrono::steady_clock::now() >= give_up) throw;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

}  // namespace

/// Version 1 wrote runs.status's CHECK with the statuses of its day. SQLite cannot alter
/// a constraint; a CHECK may be relaxed by editing the table's schema text in place
/// (the "simpler procedure" of SQLite's ALTER TABLE page: no stored row changes meaning),
/// with the schema cookie moved on so that every connection reads the new text.
void allow_adaptive_statuses(Database& db) {
  int64_t version = 0;
  {
    auto cookie = db.prepare("PRAGMA schema_version");
    cookie.step();
    version = cookie.get_int(0);
  }
  db.exec("PRAGMA writable_schema=ON");
  db.exec("UPDATE sqlite_schema SET sql = replace(sql, '''diverged'',''interrupted'')', "
          "'''diverged'',''interrupted'',''paused'',''stopped'')') WHERE type = 'table' AND name = 'runs'");
  db.exec("PRAGMA schema_version = " + std::to_string(version + 1));
  db.exec("PRAGMA writable_schema=OFF");
}

namespace {

/// Schema 13 for an older file: the waiting runs of a sweep whose spec says `fuse: on`
/// group as they would have (they used to fuse when a worker took them), by the same
/// grouping expansion uses; an adaptive sweep's runs, reruns and every other run stay
/// alone.
void group_waiting_runs(Database& db) {
  std::vector<int64_t> sweeps;
  {
    auto fused = db.prepare(
        "SELECT id FROM sweeps WHERE adaptive = '{}' AND json_valid(spec_text) "
        "AND json_extract(spec_text, '$.sweep.fuse') = 'on' ORDER BY id");
    while (fused.step()) sweeps.push_back(fused.get_int(0));
  }
  auto waiting = db.prepare(
      "SELECT id, config_json FROM runs WHERE sweep_id = ? AND status IN ('pending', 'interrupted') "
      "AND kind = 'train' AND rerun_of IS NULL AND config_hash <> '' ORDER BY run_index");
  auto mark = db.prepare("UPDATE runs SET lane_group = ? WHERE id = ?");
  for (const int64_t sweep : sweeps) {
    std::vector<int64_t> ids;
    std::vector<nlohmann::json> configs;
    waiting.bind(1, sweep);
    while (waiting.step()) {
      auto config = nlohmann::json::parse(waiting.get_text(1), nullptr, /*allow_exceptions=*/false);
      if (config.is_discarded()) continue;  // nothing a worker could train either: it stays alone
      ids.push_back(waiting.get_int(0));
      configs.push_back(std::move(config));
    }
    waiting.reset();
    for (const auto& group : group_by_lane_key(configs))
      for (const size_t i : group) mark.bind(1, ids[group.front()]).bind(2, ids[i]).run();
  }
}

}  // namespace

void migrate(Database& db) {
  use_write_ahead_log(db);
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  if (schema_version(db) == kSchemaVersion) return;
  Transaction tx(db);
  const int version = schema_version(db);  // re-read under the write lock
  if (version > kSchemaVersion)
    throw DatabaseError(db.path() + ": written by a newer torchsweep (schema " + std::to_string(version) +
                            ", this build knows " + std::to_string(kSchemaVersion) + ")",
                        0);
  for (int v = version; v < kSchemaVersion; ++v) {
    if (v == 10) allow_adaptive_statuses(db);
    db.exec(migrations().at(static_cast<size_t>(v)));
  }
  if (version >= 1 && version < 2) {
    // Runs recorded before summaries existed get theirs now.
    auto runs = db.prepare("SELECT id FROM runs");
    std::vector<int64_t> ids;
    while (runs.step()) ids.push_back(runs.get_int(0));
    for (auto id : ids) summarize_run(db, id);
  }
  if (version < 12) {
    // Runs that ended before packs existed get theirs now (a running run's come when
    // it ends).
    auto runs = db.prepare("SELECT id FROM runs WHERE status NOT IN ('pending', 'running')");
    std::vector<int64_t> ids;
    while (runs.step()) ids.push_back(runs.get_int(0));
    for (auto id : ids) pack_run_metrics(db, id);
  }
  if (version >= 1 && version < 13) group_waiting_runs(db);
  db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  tx.commit();
}

}  // namespace torchsweep
