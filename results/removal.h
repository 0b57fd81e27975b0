// Deleting runs and sweeps: their records (params, metrics, summaries, artifacts' rows,
// tags) in one transaction, then their artifact folders (checkpoints) on disk, so that
// nothing of a deleted run can be continued by a later run of the same id. Only folders
// this database owns are removed (results/artifact_owner.h): a copy of a database, or
// one that runs were merged into, never deletes the files of the database it came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// A run's folder that a deletion leaves on disk.
struct KeptFolder {
  std::string dir;
  std::string reason;  ///< "it belongs to run 2 of database 3fa2c9e1 (/data/a.db)"
};

/// What a deletion takes away.
struct Removal {
  std::vector<int64_t> run_ids;             ///< sorted, each once
  std::vector<int64_t> sweep_ids;           ///< sweeps deleted whole (with all their runs)
  /// The runs' folders that exist on disk and are this database's own (claim_run_folder,
  /// with its default artifacts folder DB-artifacts/ as the root).
  std::vector<std::string> artifact_dirs;
  std::vector<KeptFolder> kept_dirs;        ///< the runs' other folders, left as they are
};

/// Plans deleting the runs `run_ids` and the sweeps `sweeps` (each an id, a name — its
/// latest sweep —, or "all") with all their runs. InputError for an unknown run or
/// sweep, or for a run that is running (its worker would go on writing to it).
Removal plan_removal(Database& db, const std::vector<int64_t>& run_ids, const std::vector<std::string>& sweeps);

/// Carries out a plan: the records in one transaction (a later run that re-ran a
/// deleted one keeps its record, without the link), then the artifact folders it owns.
void remove(Database& db, const Removal& removal);

}  // namespace torchsweep
