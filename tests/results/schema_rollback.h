// A database as an older torchsweep wrote it, for tests of the upgrade: the schema's
// later additions dropped again, newest first. A schema version that adds something adds
// its undoing here, once, and every rollback test follows.
#pragma once

#include <stdexcept>
#include <string>

#include "results/schema.h"
#include "results/sqlite.h"

namespace torchsweep::testing {

/// Rolls `db` (at the current schema) back to schema `version`, 11 or later.
inline void roll_back_schema(Database& db, int version) {
  if (version < 11 || version > kSchemaVersion)
    throw std::invalid_argument("no rollback to schema " + std::to_string(version));
  for (int v = kSchemaVersion; v > version; --v) {
    switch (v) {
      case 14: db.exec("ALTER TABLE runs DROP COLUMN memory_format"); break;  // the layout a run trained in
      case 13: db.exec("DROP INDEX runs_by_lane_group; ALTER TABLE runs DROP COLUMN lane_group"); break;
      case 12: db.exec("DROP TABLE metric_packs"); break;  // packed curves
      default: throw std::logic_error("schema " + std::to_string(v) + " has no rollback in schema_rollback.h");
    }
  }
  db.exec("PRAGMA user_version = " + std::to_string(version));
}

}  // namespace torchsweep::testing
