// What the runs of one lane group must share: the key they group by, and the grouping
// of runs by it. Lanes train at once in one process, so they share what is process-wide
// (the device, the intra-op threads, determinism) and what a group loads once (the data
// set and its batch shape); everything else — the model, the optimizer and its
// settings, the schedule, the seed, the memory format, the budget — is each lane's own.
//
// It sits in results/ because the store's migration to schema 13 groups the waiting
// runs of an older file with it, and results/ sees only base/. Whether a sweep groups
// at all (sweep.fuse, adaptive sweeps) is sweep/lane_groups.h.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace torchsweep {

/// At most this many runs train as one lane group: each lane holds its own model,
/// optimizer and copy of its data order, so memory grows with the lanes.
constexpr size_t kMaxLanes = 16;

/// What runs with this resolved config share with the others of their group:
/// `device`, `train.threads`, `train.deterministic` and the `data` section, as one
/// canonical JSON text. Runs with equal keys may train together.
std::string lane_group_key(const nlohmann::json& config);

/// Groups of run positions by lane_group_key, in run order: each group starts at the
/// first run of its key not yet placed and takes the following runs of that key, up to
/// `max_lanes` (0: kMaxLanes). Every run is in exactly one group (alone: a group of one).
std::vector<std::vector<size_t>> group_by_lane_key(const std::vector<nlohmann::json>& configs,
                                                   size_t max_lanes = kMaxLanes);

}  // namespace torchsweep
