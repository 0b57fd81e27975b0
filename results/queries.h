// Read-side queries over the results store, each returning a Table (or curves)
// that the CLI renders. Parameters are always bound, never pasted into SQL.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// Which runs a query covers.
struct RunSelection {
  /// "" for the latest sweep, "all", a sweep id, or a sweep name (its latest sweep).
  std::string sweep;
  /// Explicit run ids; when given, `sweep` is ignored.
  std::vector<int64_t> run_ids;
};

struct RunInfo {
  int64_t id = 0;
  int64_t sweep_id = 0;
  std::string sweep_name;
  int64_t index = 0;
  std::string status;
  std::string config_hash;
  nlohmann::json swept;
  std::string error;
  SqlValue steps;
  SqlValue wall_seconds;
};

/// The selected runs in id order; InputError when the selection names nothing.
std::vector<RunInfo> select_runs(Database& db, const RunSelection& selection);

/// One row per run: id, sweep, status, swept values, hash, steps, last train/loss, time.
Table list_runs(Database& db, const RunSelection& selection);

struct CompareOptions {
  RunSelection runs;
  std::vector<std::string> by;   ///< parameter keys to group by, e.g. optimizer.lr
  std::string metric = "train/loss";
  std::vector<int64_t> at;       ///< extra steps to show values at
};

/// One row per group of runs with equal `by` values: n, the metric's first value,
/// its value at each `at` step, last, min, and the first step where it fell to
/// half its first value or below. With several runs in a group, values are means.
Table compare_runs(Database& db, const CompareOptions& options);

struct Curve {
  int64_t run_id = 0;
  std::string label;  ///< "optimizer.lr = 0.1" (by keys), or "run 7"
  std::vector<int64_t> steps;
  std::vector<double> values;
};

/// The metric's points for each selected run, labelled by the `by` keys.
std::vector<Curve> load_curves(Database& db, const RunSelection& selection, const std::string& metric,
                               const std::vector<std::string>& by);

/// Curves side by side: a step column, then one column per curve.
Table curves_table(const std::vector<Curve>& curves);

/// Every metric of one run, one row per step, columns in the order they were first logged.
Table export_run(Database& db, int64_t run_id);

/// A parameter's value for a run, or null when the run does not have it.
SqlValue param_value(Database& db, int64_t run_id, const std::string& key);

}  // namespace torchsweep
