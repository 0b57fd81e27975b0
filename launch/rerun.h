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
/// `worker` supplies the command line, artifacts folder and threads. A run an adaptive
/// sweep stopped is stopped where it was (launch/decision_replay.h), its decisions copied.
RerunOutcome rerun(Store& store, int64_t run_id, std::ostream& out, WorkerOptions worker);

struct SweepRerunOutcome {
  int64_t original = 0;      ///< the sweep run again
  int64_t sweep_id = 0;      ///< the new sweep
  int64_t runs = 0;          ///< runs re-executed
  int64_t decisions = 0;     ///< decisions replayed
  int64_t points = 0;        ///< metric points of the original runs
  int64_t differing = 0;     ///< points missing from either side or with another value
  double max_abs_diff = 0.0;
  bool identical() const { return differing == 0; }
};

/// `torchsweep rerun --sweep ID`: re-executes every run of a sweep that ended (finished,
/// stopped or diverged), in order, as a new sweep whose runs end as the originals did:
/// an adaptive sweep's decisions are replayed, not taken again (proposed runs keep their
/// recorded configs). Compares every run's points with its original's.
SweepRerunOutcome rerun_sweep(Store& store, int64_t sweep_id, std::ostream& out, WorkerOptions worker);

}  // namespace torchsweep
