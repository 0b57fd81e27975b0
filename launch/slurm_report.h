// What `status` shows of a Slurm sweep beyond the database, from its launcher state
// alone (no tensors: `torchsweep status` answers without LibTorch).
#pragma once

#include <nlohmann/json.hpp>

#include "launch/status.h"

namespace torchsweep {

/// From a Slurm sweep's launcher state ({"shard_dir": ..., "jobs": {"array": [...],
/// "merge": ...}}): its shards' run statuses and its jobs in squeue.
LauncherReport slurm_report(const nlohmann::json& state);

}  // namespace torchsweep
