// The results database's schema and its migrations. The version is SQLite's
// `PRAGMA user_version`; opening a database brings it forward to kSchemaVersion.
#pragma once

#include "results/sqlite.h"

namespace torchsweep {

/// The schema this build writes (docs/results-schema.md describes it).
constexpr int kSchemaVersion = 1;

/// The database's schema version (0 for a new, empty file).
int schema_version(Database& db);

/// Creates the schema in an empty database or upgrades an older one, in one
/// transaction. DatabaseError when the file was written by a newer torchsweep.
void migrate(Database& db);

}  // namespace torchsweep
