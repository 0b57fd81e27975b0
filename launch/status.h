// `torchsweep status [SWEEP]`: how far a sweep has got, from the database — run
// counts by status, the runs in progress with their holder and last step — and,
// for a Slurm sweep, from its tasks' shards and squeue.
#pragma once

#include <ostream>
#include <string>

#include "results/sqlite.h"

namespace torchsweep {

/// Prints the status of `sweep` ("" latest, "all", an id or a name).
void print_status(Database& db, const std::string& sweep, std::ostream& out);

}  // namespace torchsweep
