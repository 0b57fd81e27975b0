// Which runs a query covers: a sweep (latest, all, an id or a name), explicit run ids,
// and a `--where` filter, bound into SQL, never pasted. Also the lookups the queries
// share: a run's parameters, and the order of values.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "results/filter.h"
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
  /// Only training runs (runs.kind 'train'): runs of other kinds (an lr-find's) are left
  /// out unless run ids are given or the filter names `kind` (--where 'kind = lr_find').
  bool training_only = false;
};

struct RunInfo {
  int64_t id = 0;
  int64_t sweep_id = 0;
  std::string sweep_name;
  int64_t index = 0;
  std::string status;
  std::string kind;  ///< runs.kind: train | lr_find
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

/// The names a filter over this database may use, each looked up by key when the
/// filter names it (results/filter.h).
FilterNames database_names(Database& db);

/// One row per run: id, sweep, status, swept values, hash, steps, last train/loss, time;
/// a `kind` column after status when some run is not a training run (an lr-find).
Table list_runs(Database& db, const RunSelection& selection);

/// A parameter's value for a run, or null when the run does not have it.
SqlValue param_value(Database& db, int64_t run_id, const std::string& key);

/// Looks up parameter values of many runs with one prepared statement.
class ParamLookup {
 public:
  explicit ParamLookup(Database& db) : stmt_(db.prepare("SELECT value FROM params WHERE run_id = ? AND key = ?")) {}
  SqlValue operator()(int64_t run_id, const std::string& key) {
    stmt_.bind(1, run_id).bind(2, key);
    SqlValue out = stmt_.step() ? stmt_.get(0) : SqlValue(nullptr);
    stmt_.reset();
    return out;
  }

 private:
  Statement stmt_;
};

/// InputError naming the missing key (with "did you mean") when no selected run has one
/// of `keys` as a parameter: a mistyped `--by`, most likely.
void check_params_exist(Database& db, const std::vector<RunInfo>& runs, const std::vector<std::string>& keys);

/// Orders SQL values: numbers numerically, then text (as the table shows them).
bool value_less(const SqlValue& a, const SqlValue& b);

/// A value as the text table shows it.
std::string value_text(const SqlValue& v);

}  // namespace torchsweep
