#include "results/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "base/error.h"
#include "base/number_text.h"
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

/// A gnuplot string literal in double quotes, where "\n" breaks the line (a title of
/// several lines).
std::string gnuplot_lines(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out + "\"";
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
  void row(double x, const std::vector<double>& values) {
    out_ << x;
    for (double v : values) out_ << ' ' << v;
    out_ << '\n';
    at_gap_ = false;
    ++segment_;
  }
  /// A missing row: one blank line breaks the line. Never two in a row, and none
  /// at the start of a block: two blank lines would end the block.
  void gap() {
    end_segment();
    if (!at_gap_) out_ << '\n';
    at_gap_ = true;
  }
  /// Ends the block (with two blank lines); returns its index.
  int end() {
    end_segment();
    out_ << "\n\n";
    at_gap_ = true;
    had_lone_point_ = lone_;
    lone_ = false;
    return next_++;
  }
  /// Whether the block last ended had a point with no neighbour: a line alone does not
  /// show it (a run with one evaluation), so it needs a mark.
  bool had_lone_point() const { return had_lone_point_; }

 private:
  void end_segment() {
    if (segment_ == 1) lone_ = true;
    segment_ = 0;
  }

  std::ostream& out_;
  bool at_gap_ = true;
  int next_ = 0;
  int segment_ = 0;  // points since the last break
  bool lone_ = false;
  bool had_lone_point_ = false;
};

/// A style's plot clause part: colour, dash type, and points where there are any.
std::string style_clause(const PlotStyle& style, bool marks, int line_width = 2) {
  const int point = style.point ? style.point : 7;
  std::string out = (marks || style.point ? "with linespoints pt " + std::to_string(point) + " ps 0.7 "
                                          : std::string("with lines "));
  out += "lw " + std::to_string(line_width) + " ";
  if (style.dash != 1) out += "dt " + std::to_string(style.dash) + " ";  // solid is gnuplot's default
  return out + "lc rgb '" + style.colour + "'";
}

/// The script's opening: terminal, output, title and the key's place.
void script_header(std::ostream& gp, const PlotFiles& files, const std::string& ext, const PlotOptions& options,
                   const std::string& title) {
  gp << "# Written by torchsweep; run `gnuplot " << files.script << "` to redraw.\n";
  if (ext == ".png")
    gp << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,11'\n";
  else
    gp << "set terminal svg size " << options.width << "," << options.height << " dynamic noenhanced font 'sans,11'\n";
  gp << "set output " << gnuplot_quoted(files.chart) << "\n";
  gp << "set title " << gnuplot_lines(title) << "\n";
  gp << "set grid\nset key outside right top box\n";
}

void draw(const PlotFiles& files) {
  if (!on_path("gnuplot"))
    throw RuntimeFailure("gnuplot is not installed (Debian package gnuplot-nox), so " + files.chart +
                         " was not drawn; the data is in " + files.data + " and the script in " + files.script +
                         ": run `gnuplot " + files.script + "` once gnuplot is there");
  std::string output;
  if (run_gnuplot(files.script, output) != 0)
    throw RuntimeFailure("gnuplot failed on " + files.script + ": " + output);
}

PlotFiles files_for(const std::string& output, std::string& ext) {
  ext = ascii_lower(path_extension(output));
  if (ext != ".png" && ext != ".svg")
    throw InputError("-o " + output + ": expected a file name ending in .png or .svg");
  const std::string stem = output.substr(0, output.size() - ext.size());
  return PlotFiles{output, stem + ".dat", stem + ".gp"};
}

/// The colour of the marks where runs stopped early: black, apart from every curve's.
constexpr const char* kStopColour = "#000000";

void write_plot_command(std::ostream& gp, const std::vector<std::string>& clauses) {
  gp << "plot \\\n";
  for (size_t i = 0; i < clauses.size(); ++i) gp << "  " << clauses[i] << (i + 1 < clauses.size() ? ", \\\n" : "\n");
}

}  // namespace

const std::vector<std::string>& plot_palette() {
  static const std::vector<std::string> colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours;
}

PlotStyle plot_style(size_t index) {
  const auto& palette = plot_palette();
  const size_t n = palette.size();
  PlotStyle style;
  style.colour = palette[index % n];
  style.dash = static_cast<int>(1 + (index / n) % 5);
  // Past 5 × 10: every point type gnuplot's cairo and svg terminals draw (1 to 13).
  style.point = index < 5 * n ? 0 : static_cast<int>(1 + (index / (5 * n) - 1) % 13);
  return style;
}

std::string default_title(const std::string& metric, const RunsInCommon& common, const std::string& what) {
  std::string title = what.empty() ? metric : metric + " (" + what + ")";
  if (!common.sweeps.empty()) {
    std::vector<std::string> names;
    for (const auto& [id, name] : common.sweeps)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    std::string ids;
    const size_t listed = std::min<size_t>(common.sweeps.size(), 5);
    for (size_t i = 0; i < listed; ++i) ids += (i ? ", " : "") + std::to_string(common.sweeps[i].first);
    if (common.sweeps.size() > listed) ids += ", ...";
    std::string named;
    for (size_t i = 0; i < names.size() && i < 3; ++i) named += (i ? ", " : "") + names[i];
    if (names.size() > 3) named += " and " + std::to_string(names.size() - 3) + " more";
    title += " - " + named + (common.sweeps.size() == 1 ? " (sweep " : " (sweeps ") + ids + ")";
  }
  // The fixed parameters, on lines of their own.
  std::string line;
  for (const auto& [key, value] : common.fixed) {
    const auto* d = std::get_if<double>(&value);
    const auto* i = std::get_if<int64_t>(&value);
    const std::string text = key + "=" +
                             (d   ? readable_number(*d)
                              : i ? std::to_string(*i)
                              : std::holds_alternative<std::string>(value) ? std::get<std::string>(value)
                                                                            : std::string("-"));
    if (!line.empty() && character_count(line) + 2 + character_count(text) > 90) {
      title += "\n" + line;
      line.clear();
    }
    line += (line.empty() ? "" : "  ") + text;
  }
  if (!line.empty()) title += "\n" + line;
  return title;
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
  std::string ext;
  const PlotFiles files = files_for(options.output, ext);

  // Epochs are whole numbers with one point each: ticks on whole epochs, and a mark at
  // every point (a line alone would hide a run of one epoch).
  const bool epochs = !groups.empty() && groups.front().axis == MetricAxis::Epoch;
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
      const PlotStyle style = plot_style(g);
      const std::string colour = "lc rgb '" + style.colour + "'";
      const size_t n = group.runs.size();
      const std::string title = n > 1 ? group.label + " (n=" + std::to_string(n) + ")" : group.label;
      if (n > 1 && options.band != Band::None) {
        banded = true;
        data.comment(title + ": " + (options.band == Band::MinMax ? "min and max" : "mean - std and mean + std") +
                     " at each step");
        for (size_t i = 0; i < group.steps.size(); ++i) {
          const double lo = group.lower(i, options.band), hi = group.upper(i, options.band);
          if (plottable(lo) && plottable(hi)) data.row(static_cast<double>(group.steps[i]), {lo, hi});
          else data.gap();
        }
        const std::string band_block = data_name + " index " + std::to_string(data.end());
        bands.push_back(band_block + " using 1:2:3 with filledcurves fs transparent solid 0.2 noborder " + colour +
                        " notitle");
        // A band at a step with no neighbour has no area: an error bar shows it.
        if (data.had_lone_point())
          bands.push_back(band_block + " using 1:2:2:3 with yerrorbars pt 0 lw 1 " + colour + " notitle");
        data.comment(title + ": mean at each step");
        for (size_t i = 0; i < group.steps.size(); ++i) {
          if (plottable(group.mean[i])) data.row(static_cast<double>(group.steps[i]), {group.mean[i]});
          else data.gap();
        }
        const int index = data.end();
        lines.push_back(data_name + " index " + std::to_string(index) + " using 1:2 " +
                        style_clause(style, epochs || data.had_lone_point()) + " title " + gnuplot_quoted(title));
        continue;
      }
      for (size_t r = 0; r < n; ++r) {
        const Curve& run = group.runs[r];
        data.comment(run.label + " (run " + std::to_string(run.run_id) + ")");
        for (size_t j = 0; j < run.steps.size(); ++j) {
          if (plottable(run.values[j])) data.row(static_cast<double>(run.steps[j]), {run.values[j]});
          else data.gap();
        }
        const int index = data.end();
        // The group's runs share its style and one legend entry.
        lines.push_back(data_name + " index " + std::to_string(index) + " using 1:2 " +
                        style_clause(style, epochs || data.had_lone_point()) +
                        (r == 0 ? " title " + gnuplot_quoted(title) : std::string(" notitle")));
      }
    }
    // Where runs stopped early: a cross at each stopped run's last point (drawn or, in a
    // group drawn as its mean, where it left the group), one legend entry for all.
    std::vector<std::pair<double, double>> stops;
    for (const auto& group : groups)
      for (const auto& run : group.runs) {
        if (!run.stopped) continue;
        for (size_t j = run.steps.size(); j-- > 0;)
          if (plottable(run.values[j])) {
            stops.emplace_back(static_cast<double>(run.steps[j]), run.values[j]);
            break;
          }
      }
    if (!stops.empty()) {
      data.comment("where runs stopped early: the last point of each stopped run");
      for (const auto& [x, y] : stops) data.row(x, {y});
      lines.push_back(data_name + " index " + std::to_string(data.end()) + " using 1:2 with points pt 2 ps 1.6 lw 2 " +
                      "lc rgb '" + kStopColour + "' title " +
                      gnuplot_quoted("stopped early (" + std::to_string(stops.size()) + ")"));
    }
  }
  {
    std::ofstream gp(files.script);
    if (!gp) throw RuntimeFailure(files.script + ": cannot write the gnuplot script");
    script_header(gp, files, ext, options, options.title.empty() ? options.metric : options.title);
    gp << "set xlabel '" << to_string(epochs ? MetricAxis::Epoch : MetricAxis::Step) << "'\nset ylabel "
       << gnuplot_quoted(options.metric) << "\n";
    if (epochs) gp << "set xtics " << std::max<int64_t>(1, (last_x + 9) / 10) << "\nset format x '%.0f'\n";
    // The legend says what the lines and the shading are.
    if (banded)
      gp << "set key title "
         << gnuplot_quoted(options.band == Band::MinMax ? "mean; shaded: min to max" : "mean; shaded: +/- 1 std") << "\n";
    if (options.log_y) gp << "set logscale y\n";
    std::vector<std::string> clauses = bands;
    clauses.insert(clauses.end(), lines.begin(), lines.end());
    write_plot_command(gp, clauses);
  }
  draw(files);
  return files;
}

PlotFiles plot_scan(const Scan& scan, const std::string& x, const std::string& summary, const PlotOptions& options) {
  std::string ext;
  const PlotFiles files = files_for(options.output, ext);
  // A point gnuplot can place: finite, and above 0 on a log y axis. With none, the
  // script's plot command would have no clause (gnuplot: a syntax error), so refuse
  // before writing anything.
  auto drawable = [&](const ScanPoint& p) {
    return std::isfinite(p.x) && std::isfinite(p.y) && !(options.log_y && p.y <= 0);
  };
  bool any = false, any_finite = false;
  for (const auto& series : scan.series)
    for (const auto& p : series.points) {
      any = any || drawable(p);
      any_finite = any_finite || (std::isfinite(p.x) && std::isfinite(p.y));
    }
  if (!any) {
    const std::string what = options.metric + " (" + summary + ")";
    if (any_finite)
      throw InputError("--x " + x + ": no run has a " + what + " above 0 to plot on --logy's log axis");
    throw InputError("--x " + x + ": no run has a finite " + what + " to plot" +
                     (scan.left_out ? " (" + std::to_string(scan.left_out) + " run(s) with nan or inf: diverged?)"
                                    : std::string()));
  }
  std::vector<std::string> clauses;
  {
    std::ofstream file(files.data);
    if (!file) throw RuntimeFailure(files.data + ": cannot write the plot data");
    DataBlocks data(file);
    const std::string data_name = gnuplot_quoted(files.data);
    for (size_t s = 0; s < scan.series.size(); ++s) {
      const ScanSeries& series = scan.series[s];
      PlotStyle style = plot_style(s);
      if (!style.point) style.point = 7;  // every run is a mark
      // Each run's point; then the mean of the runs at each x (seeds, repeats), joined.
      data.comment(series.label + ": " + x + ", " + options.metric + " " + summary + ", run id");
      std::map<double, std::vector<double>> at;
      for (const auto& p : series.points) {
        if (!drawable(p)) continue;  // no place on the axes (p.y <= 0 on a log axis)
        data.row(p.x, {p.y, static_cast<double>(p.run_id)});
        at[p.x].push_back(p.y);
      }
      const int points = data.end();
      bool repeated = false;
      data.comment(series.label + ": mean at each " + x);
      for (const auto& [xv, ys] : at) {
        double sum = 0;
        for (const double y : ys) sum += y;
        data.row(xv, {sum / static_cast<double>(ys.size())});
        repeated = repeated || ys.size() > 1;
      }
      const int means = data.end();
      const std::string colour = "lc rgb '" + style.colour + "'";
      const std::string title = series.label + " (" + std::to_string(series.points.size()) + " runs)";
      // Without repeats the mean line joins the points themselves: it carries the legend.
      clauses.push_back(data_name + " index " + std::to_string(points) + " using 1:2 with points pt " +
                        std::to_string(style.point) + " ps 0.9 " + colour +
                        (repeated ? " notitle" : " title " + gnuplot_quoted(title)));
      clauses.push_back(data_name + " index " + std::to_string(means) + " using 1:2 with lines lw 1.5 dt " +
                        std::to_string(style.dash) + " " + colour +
                        (repeated ? " title " + gnuplot_quoted(title + ", mean") : std::string(" notitle")));
    }
  }
  {
    std::ofstream gp(files.script);
    if (!gp) throw RuntimeFailure(files.script + ": cannot write the gnuplot script");
    std::string title = options.title.empty() ? options.metric + " (" + summary + ")" : options.title;
    if (scan.left_out > 0)
      title += "\n" + std::to_string(scan.left_out) + " run(s) left out: no finite value (diverged?)";
    script_header(gp, files, ext, options, title);
    gp << "set xlabel " << gnuplot_quoted(x + (scan.log_x ? " (log scale)" : "")) << "\nset ylabel "
       << gnuplot_quoted(options.metric + " (" + summary + " of each run)") << "\n";
    if (scan.log_x) gp << "set logscale x\n";
    if (options.log_y) gp << "set logscale y\n";
    write_plot_command(gp, clauses);
  }
  draw(files);
  return files;
}

PlotFiles plot_lr_find(const std::vector<double>& lrs, const std::vector<double>& losses,
                       const std::vector<double>& smoothed, const std::vector<ChartMark>& marks,
                       const PlotOptions& options) {
  std::string ext;
  const PlotFiles files = files_for(options.output, ext);
  auto placeable = [](double x, double y) { return std::isfinite(x) && x > 0 && std::isfinite(y); };
  // The y axis spans the smoothed curve: the last raw losses before a stop may be
  // orders of magnitude above it and would flatten everything else.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t i = 0; i < lrs.size() && i < smoothed.size(); ++i)
    if (placeable(lrs[i], smoothed[i])) lo = std::min(lo, smoothed[i]), hi = std::max(hi, smoothed[i]);
  if (!(lo <= hi)) throw InputError("--plot " + options.output + ": no finite loss to plot");
  const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(1e-12, 0.05 * std::abs(hi));
  std::vector<std::string> clauses;
  {
    std::ofstream file(files.data);
    if (!file) throw RuntimeFailure(files.data + ": cannot write the plot data");
    DataBlocks data(file);
    const std::string data_name = gnuplot_quoted(files.data);
    data.comment("lr, loss of the step's batch");
    for (size_t i = 0; i < lrs.size() && i < losses.size(); ++i)
      if (placeable(lrs[i], losses[i])) data.row(lrs[i], {losses[i]});
    const int raw = data.end();
    data.comment("lr, smoothed loss");
    for (size_t i = 0; i < lrs.size() && i < smoothed.size(); ++i) {
      if (placeable(lrs[i], smoothed[i])) data.row(lrs[i], {smoothed[i]});
      else data.gap();
    }
    const int line = data.end();
    clauses.push_back(data_name + " index " + std::to_string(raw) +
                      " using 1:2 with points pt 7 ps 0.4 lc rgb '#bbbbbb' title 'loss'");
    clauses.push_back(data_name + " index " + std::to_string(line) + " using 1:2 " + style_clause(plot_style(0), false) +
                      " title 'smoothed loss'");
    for (size_t m = 0; m < marks.size(); ++m) {
      if (!placeable(marks[m].x, marks[m].y)) continue;
      data.comment(marks[m].label);
      data.row(marks[m].x, {marks[m].y});
      const int index = data.end();
      clauses.push_back(data_name + " index " + std::to_string(index) + " using 1:2 with points pt 7 ps 1.6 lc rgb '" +
                        plot_style(m + 1).colour + "' title " + gnuplot_quoted(marks[m].label));
    }
  }
  {
    std::ofstream gp(files.script);
    if (!gp) throw RuntimeFailure(files.script + ": cannot write the gnuplot script");
    script_header(gp, files, ext, options, options.title.empty() ? "learning-rate range test" : options.title);
    gp << "set xlabel 'learning rate (log scale)'\nset ylabel " << gnuplot_quoted(options.metric) << "\n";
    gp << "set logscale x\nset format x '%g'\n";
    gp.precision(17);
    gp << "set yrange [" << lo - pad << ":" << hi + pad << "]\n";
    write_plot_command(gp, clauses);
  }
  draw(files);
  return files;
}

}  // namespace torchsweep
