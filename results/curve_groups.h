// Curves of repeated runs (seeds, repeats) grouped by their `--by` values and
// aggregated step by step: each group's mean and the band around it (min to max,
// or mean ± one sample standard deviation). Also the thinning of long curves.
// `results curves` and `results plot` render what is computed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/curves.h"
#include "results/table.h"

namespace torchsweep {

/// How the spread of a group's runs is shown around their mean.
enum class Band {
  None,    ///< no band: each run on its own
  MinMax,  ///< from the lowest to the highest value at each step
  Std,     ///< the mean ± one sample standard deviation (n - 1)
};

/// "minmax" | "std" | "none"; InputError naming --band otherwise.
Band parse_band(const std::string& text);

/// Runs with equal labels (that is, equal `--by` values), and their curve
/// aggregated at each step over the runs that logged that step.
struct CurveGroup {
  std::string label;           ///< the runs' common label, e.g. "optimizer.lr = 0.1"
  std::vector<Curve> runs;     ///< the group's runs, in the order they were loaded
  MetricAxis axis = MetricAxis::Step;  ///< its runs' axis
  std::vector<int64_t> steps;  ///< every step any of the runs logged, ascending
  /// Per step: how many runs have a value there (NaN points do not count).
  std::vector<int64_t> n;
  /// Per step, over those n values; NaN where n is 0.
  std::vector<double> mean, min, max;
  /// Per step: the sample standard deviation (n - 1); NaN where n < 2.
  std::vector<double> stddev;

  /// The band's lower and upper edge at step index i (NaN where undefined).
  double lower(size_t i, Band band) const;
  double upper(size_t i, Band band) const;
};

/// Groups curves by label, in the order the labels first appear (load_curves sorts
/// them by their `--by` values), and aggregates each group. Curves labelled
/// "run N" (loaded without `--by`) each form a group of one.
std::vector<CurveGroup> group_curves(std::vector<Curve> curves);

/// Whether some group holds more than one run.
bool has_repeats(const std::vector<CurveGroup>& groups);

/// How long curves are thinned for tables and charts.
struct Downsample {
  /// Keep every Nth point (the 1st, the N+1th, ...) and the last; 1 keeps all.
  int64_t every = 1;
  /// Then keep this many evenly spaced points, always the first and the last; unset keeps all.
  std::optional<int64_t> points;
};

/// InputError naming --every or --points when a value is out of range
/// (every >= 1; points >= 2, since the first and last points are always kept).
void check_downsample(const Downsample& options);

/// The indices of the points of a curve of `count` points that `options` keeps, ascending.
std::vector<size_t> downsample_indices(size_t count, const Downsample& options);

/// The curve with only the points `options` keeps.
Curve downsample(const Curve& curve, const Downsample& options);

/// The group's aggregate curve and each of its runs, thinned alike.
CurveGroup downsample(const CurveGroup& group, const Downsample& options);

/// Groups side by side: a step column, then for each group "LABEL mean" (with
/// " (K of N stopped)" when K of its runs were stopped early) and, with
/// a band, "LABEL min" and "LABEL max" or "LABEL -std" and "LABEL +std" (null where
/// undefined). With Band::None given, or no band given and no group of more than
/// one run, one column per run as curves_table() has it.
Table groups_table(const std::vector<CurveGroup>& groups, std::optional<Band> band);

}  // namespace torchsweep
