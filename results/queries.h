// Read-side queries over the results store, each returning a Table (or curves)
// that the CLI renders. Parameters are always bound, never pasted into SQL.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "results/metric_sink.h"
#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// Which runs a query covers.
struct RunSelection {
  /// "" for the latest sweep, "all", a sweep id, or a sweep name (its latest sweep).
  std::string sweep;
  /// Explicit run ids; when given, `sweep` is ignored.
  std::vector<int64_t> run_ids;
  /// A filter in the language of filter.h, applied on top ("" for none).
  std::string where;
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

/// The SQL condition on a sweep id column (e.g. "r.sweep_id") that picks the sweeps
/// `sweep` names ("" latest, "all", an id, a name: its latest), with its binds. "Latest"
/// passes over the sweeps `rerun` made, which are picked by id or "all".
std::pair<std::string, std::vector<SqlValue>> sweep_condition(const std::string& sweep, const std::string& column);

/// The selected runs in id order. InputError when the selection names no sweep or
/// run; an empty list when only the `where` filter matches nothing.
std::vector<RunInfo> select_runs(Database& db, const RunSelection& selection);

/// One row per run: id, sweep, status, swept values, hash, steps, last train/loss, time.
Table list_runs(Database& db, const RunSelection& selection);

struct CompareOptions {
  RunSelection runs;
  std::vector<std::string> by;   ///< parameter keys to group by, e.g. optimizer.lr
  std::string metric = "train/loss";
  std::vector<int64_t> at;       ///< extra steps to show values at
  /// Each run's value that groups are ranked by: last | min | max | mean_last_k.
  std::string agg = "last";
  /// Whether smaller or larger is better: min | max; "" picks max for accuracies, else min.
  std::string goal;
};

/// One row per group of runs with equal `by` values (across sweeps and seeds):
/// n, the metric's first value, its value at each `at` step, last, min, the first
/// step where it fell to half its first value or below, the last step (means over
/// the group's runs); then the mean and sample standard deviation of each run's
/// `agg` value, and `best` marking the group with the best mean.
Table compare_runs(Database& db, const CompareOptions& options);

/// One run: its record, its parameters and its metric summaries.
std::vector<std::pair<std::string, Table>> show_run(Database& db, int64_t run_id);

/// Runs a read-only SQL statement. InputError when it would write.
Table run_sql(Database& db, const std::string& sql);

struct Curve {
  int64_t run_id = 0;
  std::string label;  ///< "optimizer.lr = 0.1" (by keys), or "run 7"
  std::vector<int64_t> steps;
  std::vector<double> values;
  MetricAxis axis = MetricAxis::Step;  ///< what `steps` count: optimizer steps or epochs
};

/// The axis a run's metric is on (metric_keys.axis; Step when it is not recorded).
MetricAxis metric_axis(Database& db, int64_t run_id, const std::string& key);

/// The metric's points for each selected run, labelled by the `by` keys. InputError
/// when the runs log it on different axes (steps in some, epochs in others).
std::vector<Curve> load_curves(Database& db, const RunSelection& selection, const std::string& metric,
                               const std::vector<std::string>& by);

/// Curves side by side: a step (or epoch) column, then one column per curve.
Table curves_table(const std::vector<Curve>& curves);

/// Every metric of one run, columns in the order they were first logged: one row per
/// logged step, and one per epoch row placed after the step that ended its epoch
/// (`step` is the optimizer steps done there, `epoch` the epoch's number).
Table export_run(Database& db, int64_t run_id);

/// A parameter's value for a run, or null when the run does not have it.
SqlValue param_value(Database& db, int64_t run_id, const std::string& key);

}  // namespace torchsweep
