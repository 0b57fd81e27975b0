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
};

/// The resolved config flattened to params rows: `optimizer.lr` → 0.1; lists as JSON text.
std::vector<std::pair<std::string, SqlValue>> flatten_config(const nlohmann::json& config);

/// Records the sweep and its runs as pending, then trains each run in order.
/// `out` receives one line per run; `command_line` is recorded with every run.
SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const std::string& command_line);

}  // namespace torchsweep
