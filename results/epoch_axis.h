// A step-axis curve drawn against epochs: each run records, at every epoch's end, the
// optimizer steps done so far (`train/steps`, on the epoch axis), and a step between
// two such ends is placed linearly between them. A chart can then put a run logged per
// step and one logged per epoch, or runs with different batch sizes, on one x axis.
#pragma once

#include <cstdint>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// The optimizer steps done at the end of each epoch of a run (`train/steps` at epochs
/// 1, 2, …), ascending; empty when the run wrote no epoch rows (a step budget that
/// evaluates only at its end).
std::vector<int64_t> epoch_ends(Database& db, int64_t run_id);

/// Where optimizer step `step` lies in epochs, from `ends` (epoch_ends()): e − 1 +
/// (step − ends[e−2]) / (ends[e−1] − ends[e−2]) for the epoch e whose end is the first
/// at or after the step (ends[−1] = 0), so that an epoch's last step is the epoch's
/// number. Past the last end, the last epoch's length carries on. `ends` must not be
/// empty.
double epoch_of_step(const std::vector<int64_t>& ends, int64_t step);

}  // namespace torchsweep
