#include "results/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/paths.h"
#include "base/utf8.h"

namespace torchsweep {

namespace {

/// A gnuplot string literal in single quotes ('' escapes a quote).
std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

/// Runs gnuplot on the script; returns its exit status and what it printed.
int run_gnuplot(const std::string& script, std::string& output) {
  std::string command = "gnuplot '";  // a shell word: ' becomes '\''
  for (char c : script) command += c == '\'' ? std::string("'\\''") : std::string(1, c);
  command += "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// gnuplot data blocks, numbered from 0 in the order written (`index N` in a script).
class DataBlocks {
 public:
  explicit DataBlocks(std::ostream& out) : out_(out) { out_.precision(17); }
  void comment(const std::string& text) { out_ << "# " << text << '\n'; }
  void row(int64_t step, const std::vector<double>& values) {
    out_ << step;
    for (double v : values) out_ << ' ' << v;
    out_ << '\n';
    at_gap_ = false;
  }
  /// A missing row: one blank line breaks the line. Never two in a row, and none
  /// at the start of a block: two blank lines would end the block.
  void gap() {
    if (!at_gap_) out_ << '\n';
    at_gap_ = true;
  }
  /// Ends the block (with two blank lines); returns its index.
  int end() {
    out_ << "\n\n";
    at_gap_ = true;
    return next_++;
  }

 private:
  std::ostream& out_;
  bool at_gap_ = true;
  int next_ = 0;
};

}  // namespace

const std::vector<std::string>& plot_palette() {
  static const std::vector<std::string> colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours;
}

PlotFiles plot_curves(const std::vector<Curve>& curves, const PlotOptions& options) {
  // Each curve a group of its own: drawn as it is, in its own colour.
  std::vector<CurveGroup> groups;
  for (const auto& curve : curves) {
    CurveGroup group;
    group.label = curve.label;
    group.axis = curve.axis;
    group.runs.push_back(curve);
    groups.push_back(std::move(group));
  }
  return plot_groups(groups, options);
}

PlotFiles plot_groups(const std::vector<CurveGroup>& groups, const PlotOptions& options) {
  const std::string ext = ascii_lower(path_extension(options.output));
  if (ext != ".png" && ext != ".svg")
    throw InputError("-o " + options.output + ": expected a file name ending in .png or .svg");
  const std::string stem = options.output.substr(0, options.output.size() - ext.size());
  PlotFiles files{options.output, stem + ".dat", stem + ".gp"};

  // Epochs are whole numbers with one point each: ticks on whole epochs, and a mark at
  // every point (a line alone would hide a run of one epoch).
  const bool epochs = !groups.empty() && groups.front().axis == MetricAxis::Epoch;
  const std::string style = epochs ? "with linespoints pt 7 ps 0.6 lw 2 " : "with lines lw 2 ";
  int64_t last_x = 1;
  for (const auto& group : groups)
    for (const auto& run : group.runs)
      if (!run.steps.empty()) last_x = std::max(last_x, run.steps.back());

  // Plot clauses: bands first, so that every line is drawn over them.
  std::vector<std::string> bands, lines;
  bool banded = false;
  {
    std::ofstream file(files.data);
    if (!file) throw RuntimeFailure(files.data + ": cannot write the plot data");
    DataBlocks data(file);
    const std::string data_name = gnuplot_quoted(files.data);
    // Missing and non-finite points break the line instead of distorting the axis.
    auto plottable = [&](double v) { return std::isfinite(v) && (!options.log_y || v > 0); };
    for (size_t g = 0; g < groups.size(); ++g) {
      const CurveGroup& group = groups[g];
      const std::string colour = "lc rgb '" + plot_palette()[g % plot_palette().size()] + "'";
      const size_t n = group.runs.size();
      const std::string title = n > 1 ? group.label + " (n=" + std::to_string(n) + ")" : group.label;
      if (n > 1 && options.band != Band::None) {
        banded = true;
        data.comment(title + ": " + (options.band == Band::MinMax ? "min and max" : "mean - std and mean + std") +
                     " at each step");
        for (size_t i = 0; i < group.steps.size(); ++i) {
          const double lo = group.lower(i, options.band), hi = group.upper(i, options.band);
          if (plottable(lo) && plottable(hi)) data.row(group.steps[i], {lo, hi});
          else data.gap();
        }
        bands.push_back(data_name + " index " + std::to_string(data.end()) +
                        " using 1:2:3 with filledcurves fs transparent solid 0.2 noborder " + colour + " notitle");
        data.comment(title + ": mean at each step");
        for (size_t i = 0; i < group.steps.size(); ++i) {
          if (plottable(group.mean[i])) data.row(group.steps[i], {group.mean[i]});
          else data.gap();
        }
        lines.push_back(data_name + " index " + std::to_string(data.end()) + " using 1:2 " + style + colour +
                        " title " + gnuplot_quoted(title));
        continue;
      }
      for (size_t r = 0; r < n; ++r) {
        const Curve& run = group.runs[r];
        data.comment(run.label + " (run " + std::to_string(run.run_id) + ")");
        for (size_t j = 0; j < run.steps.size(); ++j) {
          if (plottable(run.values[j])) data.row(run.steps[j], {run.values[j]});
          else data.gap();
        }
        // The group's runs share its colour and one legend entry.
        lines.push_back(data_name + " index " + std::to_string(data.end()) + " using 1:2 " + style + colour +
                        (r == 0 ? " title " + gnuplot_quoted(title) : std::string(" notitle")));
      }
    }
  }
  {
    std::ofstream gp(files.script);
    if (!gp) throw RuntimeFailure(files.script + ": cannot write the gnuplot script");
    gp << "# Written by torchsweep; run `gnuplot " << files.script << "` to redraw.\n";
    if (ext == ".png")
      gp << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,11'\n";
    else
      gp << "set terminal svg size " << options.width << "," << options.height << " dynamic noenhanced font 'sans,11'\n";
    gp << "set output " << gnuplot_quoted(files.chart) << "\n";
    gp << "set title " << gnuplot_quoted(options.title.empty() ? options.metric : options.title) << "\n";
    gp << "set xlabel '" << to_string(epochs ? MetricAxis::Epoch : MetricAxis::Step) << "'\nset ylabel "
       << gnuplot_quoted(options.metric) << "\n";
    if (epochs) gp << "set xtics " << std::max<int64_t>(1, (last_x + 9) / 10) << "\nset format x '%.0f'\n";
    gp << "set grid\nset key outside right top box\n";
    // The legend says what the lines and the shading are.
    if (banded)
      gp << "set key title "
         << gnuplot_quoted(options.band == Band::MinMax ? "mean; shaded: min to max" : "mean; shaded: +/- 1 std") << "\n";
    if (options.log_y) gp << "set logscale y\n";
    gp << "plot \\\n";
    std::vector<std::string> clauses = bands;
    clauses.insert(clauses.end(), lines.begin(), lines.end());
    for (size_t i = 0; i < clauses.size(); ++i) gp << "  " << clauses[i] << (i + 1 < clauses.size() ? ", \\\n" : "\n");
  }
  if (!on_path("gnuplot"))
    throw RuntimeFailure("gnuplot is not installed (Debian package gnuplot-nox), so " + files.chart +
                         " was not drawn; the data is in " + files.data + " and the script in " + files.script +
                         ": run `gnuplot " + files.script + "` once gnuplot is there");
  std::string output;
  if (run_gnuplot(files.script, output) != 0)
    throw RuntimeFailure("gnuplot failed on " + files.script + ": " + output);
  return files;
}

}  // namespace torchsweep
