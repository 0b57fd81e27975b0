// Charts of metric curves, rendered by gnuplot (Debian package gnuplot-nox).
// The data and the gnuplot script are always written next to the chart, so a
// chart can be re-rendered or restyled by hand, and survive a missing gnuplot.
// Groups of repeated runs are drawn as their mean with a shaded band.
#pragma once

#include <string>
#include <vector>

#include "results/curve_groups.h"
#include "results/curves.h"
#include "results/param_scan.h"
#include "results/param_spread.h"

namespace torchsweep {

struct PlotOptions {
  /// Output file; .png or .svg picks the format.
  std::string output;
  std::string metric = "train/loss";
  /// The chart's title; "" shows the metric. default_title() names the runs' sweeps and
  /// the parameters they share; a title of several lines is split at '\n'.
  std::string title;
  bool log_y = false;
  /// How a group of several runs is drawn: its mean with a min-to-max band (default),
  /// its mean with a ± one std band, or each run (Band::None) in the group's colour.
  Band band = Band::MinMax;
  int width = 1000;
  int height = 640;
};

struct PlotFiles {
  std::string chart;   ///< the PNG or SVG
  std::string data;    ///< gnuplot data, one block per curve
  std::string script;  ///< the gnuplot script that draws the chart
};

/// The line colours, in order (matplotlib's "tab10").
const std::vector<std::string>& plot_palette();

/// How the i-th group (or series) is drawn: the palette's colours in order, solid;
/// then the colours again with each of four dash types; past 50, with point marks of
/// 13 kinds too. No two of the first 700 are alike, more than a legend can list.
struct PlotStyle {
  std::string colour;  ///< "#1f77b4"
  int dash = 1;        ///< gnuplot's dash type: 1 solid, 2 dashed, 3 dotted, 4 dash-dot, 5 dash-dot-dot
  int point = 0;       ///< gnuplot's point type; 0 for none
};
PlotStyle plot_style(size_t index);

/// A chart's default title: the metric (with `what`, e.g. "last", when given) and the
/// sweeps its runs come from; below, the parameters chosen for the runs that have one
/// value across all of them (runs_in_common), lines of at most about 90 characters.
std::string default_title(const std::string& metric, const RunsInCommon& common, const std::string& what = "");

/// Writes data and script, then runs gnuplot. InputError for a bad output name;
/// RuntimeFailure when gnuplot is missing or fails (data and script are kept).
/// Each curve is drawn on its own, in its own colour.
PlotFiles plot_curves(const std::vector<Curve>& curves, const PlotOptions& options);

/// As plot_curves, one colour per group: a group of one run is a plain line; a
/// larger one its mean, with a band as `options.band` says, titled "LABEL (n=3)".
/// Bands are drawn first, so no band covers another group's line. A run stopped early
/// (Curve::stopped) gets a black cross at its last plottable point, the crosses one
/// legend entry "stopped early (N)", drawn last.
PlotFiles plot_groups(const std::vector<CurveGroup>& groups, const PlotOptions& options);

/// A search's picture: each run's summary (`summary`: last, min, ...) of the metric
/// against the parameter `x` (on a log axis when scan.log_x), one point per run, each
/// series in its own style with a line through its mean at each x. A curve or series
/// with a point that has no neighbour draws point marks, so one point is seen.
/// InputError naming --x, and nothing written, when no point can be drawn (none
/// finite, or none above 0 with options.log_y).
PlotFiles plot_scan(const Scan& scan, const std::string& x, const std::string& summary, const PlotOptions& options);

/// A point marked and named on a chart (a suggested learning rate).
struct ChartMark {
  std::string label;  ///< its legend entry: "valley 0.00123"
  double x = 0.0;
  double y = 0.0;
};

/// The learning-rate range test's chart (`torchsweep lr-find --plot`): the smoothed
/// loss as a line and each step's loss as faint points against the rate on a log x
/// axis, the y axis spanning the smoothed loss (the raw loss of the last steps may be
/// far above it), and each mark a point of its own colour in the legend. Points that are
/// not finite are left out. Errors as plot_curves.
PlotFiles plot_lr_find(const std::vector<double>& lrs, const std::vector<double>& losses,
                       const std::vector<double>& smoothed, const std::vector<ChartMark>& marks,
                       const PlotOptions& options);

}  // namespace torchsweep
