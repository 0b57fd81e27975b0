// Deleting runs and sweeps: their records (params, metrics, summaries, artifacts' rows,
// tags) in one transaction, then their artifact folders (checkpoints) on disk, so that
// nothing of a deleted run can be continued by a later run of the same id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// What a deletion takes away.
struct Removal {
  std::vector<int64_t> run_ids;             ///< sorted, each once
  std::vector<int64_t> sweep_ids;           ///< sweeps deleted whole (with all their runs)
  std::vector<std::string> artifact_dirs;   ///< the runs' folders that exist on disk
};

/// Plans deleting the runs `run_ids` and the sweeps `sweeps` (each an id, a name — its
/// latest sweep —, or "all") with all their runs. InputError for an unknown run or
/// sweep, or for a run that is running (its worker would go on writing to it).
Removal plan_removal(Database& db, const std::vector<int64_t>& run_ids, const std::vector<std::string>& sweeps);

/// Carries out a plan: the records in one transaction (a later run that re-ran a
/// deleted one keeps its record, without the link), then the artifact folders.
void remove(Database& db, const Removal& removal);

}  // namespace torchsweep
