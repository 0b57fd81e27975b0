// Runs a planned sweep on this machine: records it (or continues the latest sweep
// of the same spec), then trains its waiting runs — in this process, or in N worker
// processes that each take the next waiting run. A failed or diverged run does not
// stop the sweep; a SIGINT or SIGTERM stops it after the current steps, with every
// run checkpointed and recorded as interrupted.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "results/run_queue.h"  // kDefaultStaleAfter
#include "results/store.h"
#include "sweep/sweep.h"

namespace torchsweep {

struct SweepOutcome {
  int64_t sweep_id = 0;
  std::vector<int64_t> run_ids;
  bool continued = false;  ///< an earlier sweep of this spec was continued
  int finished = 0;
  int diverged = 0;
  int failed = 0;
  int interrupted = 0;
  int stopped = 0;         ///< ended early by the sweep's early-stopping rule
  int paused = 0;          ///< waiting at a rung (the sweep was stopped before deciding)
  int pending = 0;         ///< not started (the sweep was stopped)
  int skipped = 0;         ///< already finished or diverged before this invocation
  int stop_signal = 0;     ///< the signal that stopped the sweep, or 0
};

/// The resolved config flattened to params rows: `optimizer.lr` → 0.1; lists as JSON text.
std::vector<std::pair<std::string, SqlValue>> flatten_config(const nlohmann::json& config);

/// The sweep's runs as rows for the store.
std::vector<NewRun> new_runs(const SweepPlan& plan);

struct SweepRunOptions {
  /// Recorded with every run.
  std::string command_line;
  /// Record a new sweep even when the database holds one of this spec to continue.
  bool fresh = false;
  /// Where runs keep checkpoints: ARTIFACTS/run-ID. Default: beside the database,
  /// DB-without-.db + "-artifacts".
  std::string artifacts_root;
  /// Worker processes; 1 trains in this process.
  int workers = 1;
  /// Intra-op threads per run when train.threads is 0; 0: cores / workers.
  int64_t threads = 0;
  /// GPUs to spread workers over (CUDA_VISIBLE_DEVICES, one per worker in turn);
  /// empty: every visible GPU when CUDA is available.
  std::vector<int> gpus;
  /// Progress bars (a terminal) or plain periodic lines.
  bool interactive = false;
  /// Worker processes print nothing (run --quiet); `out` gets only what run_sweep says.
  bool quiet = false;
  /// The torchsweep executable that worker processes run; "" for this one.
  std::string executable;
  /// A running run on another host whose heartbeat is older than this is stale.
  std::chrono::seconds stale_after = kDefaultStaleAfter;
};

/// Records or continues the sweep, then trains its waiting runs. `out` receives
/// the progress and one line per run.
SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const SweepRunOptions& options);

/// Workers × threads ≤ cores: the threads each of `workers` processes gets.
int64_t threads_per_worker(int workers, int64_t cores);

}  // namespace torchsweep
