#include "results/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "runner/error.h"

namespace torchsweep {

namespace {

std::string lower_extension(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

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

}  // namespace

const std::vector<std::string>& plot_palette() {
  static const std::vector<std::string> colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return colours;
}

PlotFiles plot_curves(const std::vector<Curve>& curves, const PlotOptions& options) {
  const std::string ext = lower_extension(options.output);
  if (ext != "png" && ext != "svg")
    throw InputError("-o " + options.output + ": expected a file name ending in .png or .svg");
  const std::string stem = options.output.substr(0, options.output.size() - ext.size() - 1);
  PlotFiles files{options.output, stem + ".dat", stem + ".gp"};

  {
    std::ofstream data(files.data);
    if (!data) throw RuntimeFailure(files.data + ": cannot write the plot data");
    data.precision(17);
    for (size_t i = 0; i < curves.size(); ++i) {
      data << "# " << curves[i].label << " (run " << curves[i].run_id << ")\n";
      for (size_t j = 0; j < curves[i].steps.size(); ++j) {
        const double v = curves[i].values[j];
        // Missing and non-finite points break the line instead of distorting the axis.
        if (std::isfinite(v) && (!options.log_y || v > 0)) data << curves[i].steps[j] << ' ' << v << '\n';
        else data << '\n';
      }
      data << "\n\n";  // two blank lines: a new gnuplot data block (index)
    }
  }
  {
    std::ofstream gp(files.script);
    if (!gp) throw RuntimeFailure(files.script + ": cannot write the gnuplot script");
    gp << "# Written by torchsweep; run `gnuplot " << files.script << "` to redraw.\n";
    if (ext == "png")
      gp << "set terminal pngcairo size " << options.width << "," << options.height << " noenhanced font 'sans,11'\n";
    else
      gp << "set terminal svg size " << options.width << "," << options.height << " dynamic noenhanced font 'sans,11'\n";
    gp << "set output " << gnuplot_quoted(files.chart) << "\n";
    gp << "set title " << gnuplot_quoted(options.title.empty() ? options.metric : options.title) << "\n";
    gp << "set xlabel 'step'\nset ylabel " << gnuplot_quoted(options.metric) << "\n";
    gp << "set grid\nset key outside right top box\n";
    if (options.log_y) gp << "set logscale y\n";
    gp << "plot \\\n";
    for (size_t i = 0; i < curves.size(); ++i) {
      const std::string& colour = plot_palette()[i % plot_palette().size()];
      gp << "  " << gnuplot_quoted(files.data) << " index " << i << " using 1:2 with lines lw 2 lc rgb '" << colour
         << "' title " << gnuplot_quoted(curves[i].label) << (i + 1 < curves.size() ? ", \\\n" : "\n");
    }
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
