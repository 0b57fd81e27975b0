// The runs a model-based search (sweep.mode: tpe | bayes) proposes while its sweep
// trains: each from the runs that have ended so far, inside the transaction that claims
// it, and recorded as a decision (results/decision_log.h) with the point and the seed.
#pragma once

#include <cstdint>

#include "launch/adaptive_queue.h"
#include "results/store.h"

namespace torchsweep {

/// Proposes the sweep's next run and adds it as pending (inside the caller's write
/// transaction), with its decision. Returns its id; 0 when the sweep has all the runs
/// its cap (samples) allows.
int64_t propose_run(Store& store, const AdaptiveSweep& sweep);

}  // namespace torchsweep
