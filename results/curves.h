// A metric's curve for each selected run, on its axis (steps or epochs), labelled by
// the runs' `--by` values, and curves side by side as a table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/metric_sink.h"
#include "results/run_selection.h"
#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

struct Curve {
  int64_t run_id = 0;
  std::string label;  ///< "optimizer.lr = 0.1" (by keys), or "run 7"
  std::vector<int64_t> steps;
  std::vector<double> values;
  MetricAxis axis = MetricAxis::Step;  ///< what `steps` count: optimizer steps or epochs
  /// The run was stopped early by its sweep's rule: its last point is where it stopped.
  bool stopped = false;
};

/// The metric's points for each selected run, labelled by the `by` keys. InputError
/// when the runs log it on different axes (steps in some, epochs in others).
std::vector<Curve> load_curves(Database& db, const RunSelection& selection, const std::string& metric,
                               const std::vector<std::string>& by);

/// Curves side by side: a step (or epoch) column, then one column per curve. A stopped
/// run's column is named "LABEL (stopped at N)", N its last step (or epoch) there.
Table curves_table(const std::vector<Curve>& curves);

}  // namespace torchsweep
