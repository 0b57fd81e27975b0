// Charts of metric curves, rendered by gnuplot (Debian package gnuplot-nox).
// The data and the gnuplot script are always written next to the chart, so a
// chart can be re-rendered or restyled by hand, and survive a missing gnuplot.
// Groups of repeated runs are drawn as their mean with a shaded band.
#pragma once

#include <string>
#include <vector>

#include "results/curve_groups.h"
#include "results/curves.h"

namespace torchsweep {

struct PlotOptions {
  /// Output file; .png or .svg picks the format.
  std::string output;
  std::string metric = "train/loss";
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

/// Writes data and script, then runs gnuplot. InputError for a bad output name;
/// RuntimeFailure when gnuplot is missing or fails (data and script are kept).
/// Each curve is drawn on its own, in its own colour.
PlotFiles plot_curves(const std::vector<Curve>& curves, const PlotOptions& options);

/// As plot_curves, one colour per group: a group of one run is a plain line; a
/// larger one its mean, with a band as `options.band` says, titled "LABEL (n=3)".
/// Bands are drawn first, so no band covers another group's line.
PlotFiles plot_groups(const std::vector<CurveGroup>& groups, const PlotOptions& options);

}  // namespace torchsweep
