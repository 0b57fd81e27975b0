// The results database's schema and its migrations. The version is SQLite's
// `PRAGMA user_version`; opening a database brings it forward to kSchemaVersion.
#pragma once

#include <string>

#include "results/sqlite.h"

namespace torchsweep {

/// The schema this build writes (docs/results-schema.md describes it).
constexpr int kSchemaVersion = 14;

/// How many of a metric's last points `summaries.mean_last_k` averages.
constexpr int kSummaryLastK = 10;

/// The SELECT that computes summaries rows from metric points, in the column order of
/// `summaries`: ?1 run id, ?2 k (kSummaryLastK), ?3 one metric key or NULL for all.
const std::string& summary_select_sql();

/// Fills `summaries` for one run from its metric points (replacing what was there).
void summarize_run(Database& db, int64_t run_id);

/// The database's schema version (0 for a new, empty file).
int schema_version(Database& db);

/// Creates the schema in an empty database or upgrades an older one, in one
/// transaction. DatabaseError when the file was written by a newer torchsweep.
void migrate(Database& db);

}  // namespace torchsweep
