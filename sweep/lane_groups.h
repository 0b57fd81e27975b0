// Lane groups: the runs of a sweep that train together in one process, each lane an
// ordinary run (its own model, optimizer, data order and random numbers) that records
// exactly what it records alone. Decided once, when the sweep is expanded, and recorded
// with its runs (runs.lane_group); workers and Slurm tasks claim a recorded group
// (RunQueue::claim_group) instead of deciding again.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "results/lane_key.h"  // kMaxLanes, lane_group_key, group_by_lane_key

namespace torchsweep {

/// Whether a run with this config trains in a lane group under `sweep.fuse` =
/// `setting`: "off" never, "on" always (with the runs that share its lane_group_key),
/// "auto" nowhere yet.
bool groups_under(const std::string& setting, const nlohmann::json& config);

/// Groups of run positions that train together under `setting`, in run order: runs
/// that group (groups_under) by lane_group_key, at most `max_lanes` (0: kMaxLanes) per
/// group; every other run alone, as a group of one.
std::vector<std::vector<size_t>> lane_groups(const std::vector<nlohmann::json>& configs, const std::string& setting,
                                             size_t max_lanes = kMaxLanes);

/// Why a run of a recorded lane group trained alone, for the line a worker prints under
/// `fuse: on`: its group holds only it (`group_runs` 1: no other run shares its key), the
/// worker takes one run at a time (`max_lanes` 1), or the others of its group were done
/// or taken by other workers.
std::string why_alone(int64_t group_runs, size_t max_lanes);

}  // namespace torchsweep
