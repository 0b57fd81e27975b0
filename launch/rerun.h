// `torchsweep rerun RUN_ID`: executes a recorded run again from the config stored
// with it, as a new run in a new sweep linked to the original (runs.rerun_of), and
// compares the two runs' metrics point by point. On CPU with train.deterministic
// the metrics are bit-identical.
#pragma once

#include <ostream>

#include "launch/worker.h"
#include "results/store.h"

namespace torchsweep {

struct RerunOutcome {
  int64_t original = 0;
  int64_t run_id = 0;
  int64_t sweep_id = 0;
  RunStatus status = RunStatus::Pending;  ///< the new run's status
  int64_t points = 0;        ///< metric points of the original
  int64_t differing = 0;     ///< points missing from either run or with another value
  double max_abs_diff = 0.0; ///< over points both runs have
  bool identical() const { return differing == 0; }
};

/// Re-executes run `run_id` of the store. InputError when there is no such run.
/// `worker` supplies the command line, artifacts folder and threads.
RerunOutcome rerun(Store& store, int64_t run_id, std::ostream& out, WorkerOptions worker);

}  // namespace torchsweep
