#include "results/schema.h"

#include <string>
#include <vector>

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
  };
  return steps;
}

}  // namespace

int schema_version(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  stmt.step();
  return static_cast<int>(stmt.get_int(0));
}

void migrate(Database& db) {
  // WAL lets readers work while a run writes; it persists in the file.
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  if (schema_version(db) == kSchemaVersion) return;
  Transaction tx(db);
  const int version = schema_version(db);  // re-read under the write lock
  if (version > kSchemaVersion)
    throw DatabaseError(db.path() + ": written by a newer torchsweep (schema " + std::to_string(version) +
                            ", this build knows " + std::to_string(kSchemaVersion) + ")",
                        0);
  for (int v = version; v < kSchemaVersion; ++v) db.exec(migrations().at(static_cast<size_t>(v)));
  db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  tx.commit();
}

}  // namespace torchsweep
