// A worker takes waiting runs from the results database and trains them: claim a run,
// or the runs of its lane group (atomic, so workers never share a run), train them
// with the database and console sinks, record the outcomes, repeat. The same loop runs a sweep in the
// coordinating process, in each `run --workers N` process, in `torchsweep worker`
// and in every Slurm task.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "results/artifact_owner.h"  // default_artifacts_root
#include "results/run_queue.h"  // kDefaultStaleAfter
#include "results/store.h"

namespace torchsweep {

struct WorkerOptions {
  /// Which sweep's runs to take; 0: any sweep's.
  int64_t sweep_id = 0;
  /// Runs keep checkpoints in ARTIFACTS/run-ID (a folder marked as theirs:
  /// results/artifact_owner.h); "" for the database's default.
  std::string artifacts_root;
  /// Recorded with every run.
  std::string command_line;
  /// Intra-op threads for runs that leave train.threads at 0 (0: all cores).
  int64_t threads = 0;
  /// Progress bars (a terminal) or plain periodic lines.
  bool interactive = false;
  /// Progress as status records for a coordinator that draws several workers
  /// (worker_board.h), `width` columns wide; overrides `interactive`.
  bool status_records = false;
  int width = 0;
  /// The only process that uses this database (a Slurm task and its shard): any run
  /// left `running` is then an earlier attempt's, and is continued.
  bool exclusive = false;
  /// A running run on another host whose heartbeat is older than this is stale.
  std::chrono::seconds stale_after = kDefaultStaleAfter;
  /// At most this many runs of a lane group trained at once (0: kMaxLanes). Parallel
  /// workers share a group's runs this way instead of one taking them all.
  int64_t max_lanes = 0;
  /// Prefix of every line this worker prints ("" or "[worker 2] ").
  std::string prefix;
};

struct WorkerOutcome {
  std::vector<int64_t> run_ids;  ///< the runs it took, in order
  int finished = 0;
  int diverged = 0;
  int failed = 0;
  int interrupted = 0;
  int stopped = 0;               ///< ended early by the sweep's rule
  int paused = 0;                ///< trained up to a rung (they count again when promoted)
  int stop_signal = 0;           ///< the signal that stopped it, or 0
};

/// Takes and trains runs until none waits or a stop is requested (interrupt.h).
WorkerOutcome run_worker(Store& store, std::ostream& out, const WorkerOptions& options);

/// A run's swept values as "optimizer.lr=0.1 seed=2" for progress lines, numbers as
/// people read them everywhere (0.238629, 1000: base/number_text.h).
std::string swept_label(const nlohmann::json& swept);

}  // namespace torchsweep
