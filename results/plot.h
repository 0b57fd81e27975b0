// Charts of metric curves, rendered by gnuplot (Debian package gnuplot-nox).
// The data and the gnuplot script are always written next to the chart, so a
// chart can be re-rendered or restyled by hand, and survive a missing gnuplot.
#pragma once

#include <string>
#include <vector>

#include "results/queries.h"

namespace torchsweep {

struct PlotOptions {
  /// Output file; .png or .svg picks the format.
  std::string output;
  std::string metric = "train/loss";
  std::string title;
  bool log_y = false;
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
PlotFiles plot_curves(const std::vector<Curve>& curves, const PlotOptions& options);

}  // namespace torchsweep
