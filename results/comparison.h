// Comparing groups of runs: one row per group of equal `--by` values, with the
// metric's summaries, its values at chosen steps, and a mean ± std to rank by.
#pragma once

#include <string>
#include <vector>

#include "results/param_spread.h"
#include "results/run_selection.h"
#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

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

/// One row per group of runs with equal `by` values (across sweeps and seeds; training
/// runs only, unless the selection names run ids or `kind`):
/// n, the metric's first value, its value at each `at` step, last, min, the first
/// step where it fell to half its first value or below, the last step (means over
/// the group's runs); then the mean and sample standard deviation of each run's
/// `agg` value, and `best` marking the group with the best mean. `groups`, when given,
/// receives each row's runs (for pooled_groups(): what else differs within a group).
Table compare_runs(Database& db, const CompareOptions& options, std::vector<RunGroup>* groups = nullptr);

/// The columns of a comparison (compare_runs' table) that fit in `width` characters of
/// aligned text: the `by` keys, n, the mean and std of the `agg` value and `best`
/// always; then, while they fit, the `--at` steps, min, first, half_at, last_step (and
/// last, when the aggregate is not already it). The others stay in CSV and JSON.
Table fit_comparison(const Table& full, const CompareOptions& options, size_t width = 100);

}  // namespace torchsweep
