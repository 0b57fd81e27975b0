// Runs a planned sweep in this process, one run after another, recording each
// into the results store. A failed or diverged run does not stop the sweep.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "results/store.h"
#include "runner/sweep.h"

namespace torchsweep {

struct SweepOutcome {
  int64_t sweep_id = 0;
  std::vector<int64_t> run_ids;
  int finished = 0;
  int diverged = 0;
  int failed = 0;
  int skipped = 0;  ///< already finished (resume)
};

/// The resolved config flattened to params rows: `optimizer.lr` → 0.1; lists as JSON text.
std::vector<std::pair<std::string, SqlValue>> flatten_config(const nlohmann::json& config);

struct SweepRunOptions {
  /// Recorded with every run.
  std::string command_line;
  /// Continue the latest sweep of the same spec: finished runs are skipped, the
  /// others continue from their last checkpoint (or start again without one).
  bool resume = false;
  /// Where runs keep checkpoints: ARTIFACTS/run-ID. Default: beside the database,
  /// DB-without-.db + "-artifacts".
  std::string artifacts_root;
};

/// The default artifacts folder for a database path: "runs.db" → "runs-artifacts".
std::string default_artifacts_root(const std::string& db_path);

/// Records the sweep and its runs as pending (or, resuming, finds them), then
/// trains each run in order. `out` receives the progress and one line per run.
SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const SweepRunOptions& options);

}  // namespace torchsweep
