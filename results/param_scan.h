// A metric's summary per run against a parameter's value: the picture of a search
// (`results plot --x optimizer.lr`), each run one point, runs with equal `--by`
// values one series, a line through each series' mean at each x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "results/run_selection.h"
#include "results/sqlite.h"

namespace torchsweep {

/// "last" | "min" | "max" | "mean_last_k"; InputError naming --summary otherwise.
void check_scan_summary(const std::string& summary);

struct ScanRequest {
  RunSelection runs;
  std::string x;                   ///< the parameter on the x axis, e.g. optimizer.lr
  std::string metric = "train/loss";
  std::string summary = "last";    ///< each run's value: last | min | max | mean_last_k
  std::vector<std::string> by;     ///< runs with equal values form a series
};

struct ScanPoint {
  int64_t run_id = 0;
  double x = 0;
  double y = 0;
};

struct ScanSeries {
  std::string label;  ///< "optimizer.momentum = 0.9", or "runs" without --by
  std::vector<ScanPoint> points;  ///< by x, then run id
};

struct Scan {
  std::vector<ScanSeries> series;
  /// Runs with the metric whose x or summary is no finite number (a diverged run's
  /// nan): they cannot be drawn, and are counted here so that the chart can say so.
  size_t left_out = 0;
  /// Whether x reads better on a log axis: every x above 0, spanning at least 10×.
  bool log_x = false;
};

/// The selected runs' points. InputError when the x parameter is not numeric in the
/// runs, or no selected run logged the metric.
Scan load_scan(Database& db, const ScanRequest& request);

}  // namespace torchsweep
