// `torchsweep status [SWEEP]`: how far a sweep has got, from the database — run
// counts by status (stopped and paused among them), the runs in progress with their
// holder and last step, an adaptive sweep's rule and rung levels — and
// what its launcher knows beyond the database (a Slurm sweep: its tasks' shards and
// squeue).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>

#include "results/sqlite.h"

namespace torchsweep {

/// What a launcher adds to a sweep's status, read from its sweeps.launcher_state.
struct LauncherReport {
  /// Run uid -> status where the launcher knows better than the database (a Slurm
  /// task's shard is ahead of the main database until the merge job has run).
  std::map<std::string, std::string> run_statuses;
  /// Lines printed after the sweep's table.
  std::string text;
};

/// Prints the status of `sweep` ("" latest, "all", an id or a name).
void print_status(Database& db, const std::string& sweep, std::ostream& out);

}  // namespace torchsweep
