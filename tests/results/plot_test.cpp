// Charts through gnuplot: the data and script written next to the chart, an SVG
// with six labelled curves in the palette's colours, and a PNG decoded here (zlib
// + PNG scanline filters) to count the pixels each curve colour covers. Groups of
// repeated runs: their mean over a shaded band, in the SVG, the PNG and the data.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "results/plot.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Band;
using torchsweep::Curve;
using torchsweep::CurveGroup;
using torchsweep::group_curves;
using torchsweep::InputError;
using torchsweep::plot_curves;
using torchsweep::plot_groups;
using torchsweep::plot_palette;
using torchsweep::plot_scan;
using torchsweep::plot_style;
using torchsweep::SqlValue;
using torchsweep::PlotOptions;
using torchsweep::RuntimeFailure;
using torchsweep::testing::TempDir;


bool gnuplot_on_path() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/gnuplot").c_str(), X_OK) == 0) return true;
  return false;
}

#define SKIP_WITHOUT_GNUPLOT() \
  if (!gnuplot_on_path()) GTEST_SKIP() << "gnuplot is not on PATH (Debian package gnuplot-nox)"

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The six labels, written out by hand.
const std::vector<std::string> kLabels = {"optimizer.lr = 1",    "optimizer.lr = 0.3",  "optimizer.lr = 0.1",
                                          "optimizer.lr = 0.03", "optimizer.lr = 0.01", "optimizer.lr = 0.003"};

/// The first six tab10 colours as RGB, written out by hand (matplotlib's tab10).
const std::vector<std::array<int, 3>> kTab10 = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189}, {140, 86, 75}};

/// Six well separated, gently falling lines: curve i is 10 - 1.5 i - 0.01 step, steps 0..200.
std::vector<Curve> six_curves() {
  std::vector<Curve> curves;
  for (int i = 0; i < 6; ++i) {
    Curve c;
    c.run_id = 100 + i;
    c.label = kLabels[static_cast<size_t>(i)];
    for (int step = 0; step <= 200; ++step) {
      c.steps.push_back(step);
      c.values.push_back(10.0 - 1.5 * i - 0.01 * step);
    }
    curves.push_back(std::move(c));
  }
  return curves;
}

std::array<int, 3> hex_colour(const std::string& hex) {
  EXPECT_EQ(hex.size(), 7u);
  EXPECT_EQ(hex[0], '#');
  return {std::stoi(hex.substr(1, 2), nullptr, 16), std::stoi(hex.substr(3, 2), nullptr, 16),
          std::stoi(hex.substr(5, 2), nullptr, 16)};
}

/// gnuplot data blocks: groups of lines separated by two or more blank lines.
std::vector<std::vector<std::string>> data_blocks(const std::string& text) {
  std::vector<std::vector<std::string>> blocks;
  std::vector<std::string> current;
  int blank_run = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (++blank_run == 2 && !current.empty()) {
        blocks.push_back(current);
        current.clear();
      }
      continue;
    }
    if (blank_run == 1 && !current.empty()) current.push_back("");  // a single blank line breaks the curve
    blank_run = 0;
    current.push_back(line);
  }
  if (!current.empty()) blocks.push_back(current);
  return blocks;
}

/// Restores PATH when it goes out of scope.
class PathGuard {
 public:
  PathGuard() {
    const char* p = std::getenv("PATH");
    if (p) saved_ = std::string(p);
  }
  ~PathGuard() {
    if (saved_) ::setenv("PATH", saved_->c_str(), 1);
    else ::unsetenv("PATH");
  }

 private:
  std::optional<std::string> saved_;
};

// ---- PNG decoding ----

struct Image {
  uint32_t width = 0, height = 0;
  int bit_depth = 0, colour_type = 0, interlace = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // width * height * channels, filters undone
};

uint32_t be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

/// Decodes an 8-bit RGB/RGBA non-interlaced PNG; fails the test (and returns nothing) otherwise.
void decode_png(const std::string& file, Image& image) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  ASSERT_GE(file.size(), 8u + 25u);
  ASSERT_EQ(file.substr(0, 8), std::string(kSignature, 8)) << "not a PNG signature";
  std::string idat;
  bool seen_ihdr = false, seen_iend = false;
  size_t at = 8;
  while (at + 12 <= file.size()) {
    const uint32_t length = be32(file, at);
    const std::string type = file.substr(at + 4, 4);
    ASSERT_LE(at + 12 + length, file.size()) << "truncated chunk " << type;
    const std::string data = file.substr(at + 8, length);
    // Each chunk's CRC covers its type and data.
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(file.data() + at + 4), length + 4);
    EXPECT_EQ(crc, be32(file, at + 8 + length)) << "bad CRC in " << type;
    if (type == "IHDR") {
      ASSERT_EQ(length, 13u);
      ASSERT_EQ(at, 8u) << "IHDR must come first";
      seen_ihdr = true;
      image.width = be32(data, 0);
      image.height = be32(data, 4);
      image.bit_depth = static_cast<uint8_t>(data[8]);
      image.colour_type = static_cast<uint8_t>(data[9]);
      EXPECT_EQ(static_cast<uint8_t>(data[10]), 0) << "compression method";
      EXPECT_EQ(static_cast<uint8_t>(data[11]), 0) << "filter method";
      image.interlace = static_cast<uint8_t>(data[12]);
    } else if (type == "IDAT") {
      idat += data;
    } else if (type == "IEND") {
      seen_iend = true;
      break;
    }
    at += 12 + length;
  }
  ASSERT_TRUE(seen_ihdr);
  ASSERT_TRUE(seen_iend);
  ASSERT_FALSE(idat.empty());
  ASSERT_EQ(image.bit_depth, 8);
  ASSERT_TRUE(image.colour_type == 2 || image.colour_type == 6) << "colour type " << image.colour_type;
  ASSERT_EQ(image.interlace, 0);
  image.channels = image.colour_type == 6 ? 4 : 3;

  const size_t stride = static_cast<size_t>(image.width) * static_cast<size_t>(image.channels);
  std::vector<uint8_t> raw((stride + 1) * image.height);
  uLongf raw_size = static_cast<uLongf>(raw.size());
  ASSERT_EQ(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()),
                       static_cast<uLong>(idat.size())),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());

  const size_t bpp = static_cast<size_t>(image.channels);
  image.pixels.assign(stride * image.height, 0);
  for (size_t y = 0; y < image.height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    uint8_t* out = &image.pixels[y * stride];
    const uint8_t* up = y ? &image.pixels[(y - 1) * stride] : nullptr;
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= bpp ? out[x - bpp] : 0;
      const int b = up ? up[x] : 0;
      const int c = (up && x >= bpp) ? up[x - bpp] : 0;
      int predictor = 0;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) / 2; break;
        case 4: predictor = paeth(a, b, c); break;
        default: FAIL() << "unknown PNG filter type " << int(filter) << " on row " << y; return;
      }
      out[x] = static_cast<uint8_t>((in[x] + predictor) & 0xff);
    }
  }
}

/// Pixels within `tolerance` per channel of `rgb` (opaque ones, for RGBA).
int count_colour(const Image& image, const std::array<int, 3>& rgb, int tolerance) {
  int count = 0;
  for (size_t i = 0; i + static_cast<size_t>(image.channels) <= image.pixels.size();
       i += static_cast<size_t>(image.channels)) {
    if (image.channels == 4 && image.pixels[i + 3] < 250) continue;
    if (std::abs(image.pixels[i] - rgb[0]) <= tolerance && std::abs(image.pixels[i + 1] - rgb[1]) <= tolerance &&
        std::abs(image.pixels[i + 2] - rgb[2]) <= tolerance)
      ++count;
  }
  return count;
}

// ---- tests ----

TEST(PlotTest, PaletteIsTab10) {
  const auto& palette = plot_palette();
  ASSERT_GE(palette.size(), 6u);
  for (size_t i = 0; i < kTab10.size(); ++i) EXPECT_EQ(hex_colour(palette[i]), kTab10[i]) << "colour " << i;
}

TEST(PlotTest, WritesDataAndScriptNextToTheChart) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("lr.svg");
  const auto curves = six_curves();
  const auto files = plot_curves(curves, options);
  EXPECT_EQ(files.chart, dir.file("lr.svg"));
  EXPECT_EQ(files.data, dir.file("lr.dat"));
  EXPECT_EQ(files.script, dir.file("lr.gp"));
  ASSERT_TRUE(torchsweep::path_exists(files.data));
  ASSERT_TRUE(torchsweep::path_exists(files.script));
  ASSERT_TRUE(torchsweep::path_exists(files.chart));

  // Six blocks, each a comment naming the curve then its 201 points, exactly.
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const auto& block = blocks[i];
    ASSERT_EQ(block.size(), 1u + 201u) << "block " << i;
    EXPECT_EQ(block[0], "# " + kLabels[i] + " (run " + std::to_string(100 + i) + ")");
    for (size_t j = 0; j <= 200; ++j) {
      std::istringstream line(block[1 + j]);
      long step = -1;
      double value = std::nan("");
      line >> step >> value;
      EXPECT_EQ(step, static_cast<long>(j));
      EXPECT_EQ(value, 10.0 - 1.5 * static_cast<double>(i) - 0.01 * static_cast<double>(j))
          << "block " << i << " line " << block[1 + j];
    }
  }

  // The script draws every block in its palette colour with its label, into the chart.
  const std::string script = read_file(files.script);
  EXPECT_NE(script.find("set terminal svg size 1000,640"), std::string::npos) << script;
  {
    // The chart's path, quoted either way gnuplot accepts.
    const bool single = script.find("set output '" + files.chart + "'\n") != std::string::npos;
    const bool dbl = script.find("set output \"" + files.chart + "\"\n") != std::string::npos;
    EXPECT_TRUE(single || dbl) << script;
  }
  const char* hex[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_NE(script.find("index " + std::to_string(i) + " "), std::string::npos) << "index " << i;
    EXPECT_NE(script.find(std::string("'") + hex[i] + "'"), std::string::npos) << hex[i];
    EXPECT_NE(script.find("title '" + kLabels[i] + "'"), std::string::npos) << kLabels[i];
  }
}

TEST(PlotTest, SvgHasSixLabelledCurvesInPaletteColours) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("chart.svg");
  options.width = 900;
  options.height = 600;
  options.title = "learning rates";
  const auto files = plot_curves(six_curves(), options);
  const std::string svg = read_file(files.chart);
  ASSERT_FALSE(svg.empty());
  EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 || svg.rfind("<svg", 0) == 0) << svg.substr(0, 80);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("viewBox=\"0 0 900 600\""), std::string::npos);
  EXPECT_NE(svg.find(">learning rates<"), std::string::npos) << "title missing";

  // Each legend label as a whole text node.
  for (const auto& label : kLabels) EXPECT_NE(svg.find(">" + label + "<"), std::string::npos) << label;

  // Stroke colours of <path>/<polyline> elements, as gnuplot writes them:
  // stroke='rgb( 31, 119, 180)' (or a #rrggbb form), with how many line segments each draws.
  std::map<std::array<int, 3>, int> segments;
  static const std::regex rgb(R"(stroke=['"]rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)['"])");
  static const std::regex hex(R"(stroke=['"]#([0-9a-fA-F]{6})['"])");
  for (const std::string tag : {"<path", "<polyline"}) {
    for (size_t at = svg.find(tag); at != std::string::npos; at = svg.find(tag, at + 1)) {
      const size_t end = svg.find('>', at);
      ASSERT_NE(end, std::string::npos);
      const std::string element = svg.substr(at, end - at);
      std::smatch m;
      std::array<int, 3> colour{};
      if (std::regex_search(element, m, rgb)) colour = {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
      else if (std::regex_search(element, m, hex)) colour = hex_colour("#" + m[1].str());
      else continue;
      int points = 0;
      for (char c : element)
        if (c == 'L' || c == ',') ++points;
      segments[colour] += points;
    }
  }
  for (size_t i = 0; i < kTab10.size(); ++i) {
    ASSERT_EQ(segments.count(kTab10[i]), 1u) << "no stroke in palette colour " << plot_palette()[i];
    // A curve of 201 points (plus its legend sample) is far more than a few segments.
    EXPECT_GE(segments[kTab10[i]], 100) << plot_palette()[i];
  }
  // Six curves: the seventh palette colour is not used.
  EXPECT_EQ(segments.count({127, 127, 127}), 0u);
}

TEST(PlotTest, PngHasTheRequestedSizeAndSixCurveColours) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("chart.png");
  options.width = 800;
  options.height = 500;
  const auto files = plot_curves(six_curves(), options);
  EXPECT_EQ(files.chart, dir.file("chart.png"));
  const std::string png = read_file(files.chart);

  Image image;
  decode_png(png, image);
  if (HasFatalFailure()) return;
  EXPECT_EQ(image.width, 800u);
  EXPECT_EQ(image.height, 500u);
  ASSERT_EQ(image.pixels.size(), 800u * 500u * static_cast<size_t>(image.channels));

  // The background is white: most pixels are.
  const int white = count_colour(image, {255, 255, 255}, 0);
  EXPECT_GT(white, 800 * 500 / 2);

  for (size_t i = 0; i < kTab10.size(); ++i) {
    const int exact = count_colour(image, kTab10[i], 0);
    const int near = count_colour(image, kTab10[i], 8);
    EXPECT_GE(near, 100) << "colour " << plot_palette()[i] << ": " << exact << " exact, " << near << " near";
  }
  EXPECT_LT(count_colour(image, {127, 127, 127}, 0), 200) << "a seventh curve colour appears";
}

TEST(PlotTest, UppercaseExtensionIsAccepted) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("Chart.SVG");
  const auto files = plot_curves(six_curves(), options);
  EXPECT_EQ(files.data, dir.file("Chart.dat"));
  EXPECT_TRUE(torchsweep::path_exists(dir.file("Chart.SVG")));
}

TEST(PlotTest, NonFinitePointsBreakTheLineInTheData) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("gap.svg");
  Curve c;
  c.run_id = 1;
  c.label = "run 1";
  c.steps = {0, 1, 2, 3};
  c.values = {4.0, std::numeric_limits<double>::quiet_NaN(), 2.0, std::numeric_limits<double>::infinity()};
  const auto files = plot_curves({c}, options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0], (std::vector<std::string>{"# run 1 (run 1)", "0 4", "", "2 2"}));
}

TEST(PlotTest, BadOutputNameIsAnInputError) {
  TempDir dir;
  PlotOptions options;
  for (const std::string name : {"chart.pdf", "chart", "plots.png/chart", "chart.png.txt"}) {
    options.output = dir.file(name);
    ASSERT_THROWS_WITH(plot_curves(six_curves(), options), InputError, name);
  }
  EXPECT_TRUE(torchsweep::list_directory(dir.path()).empty()) << "nothing is written for a bad name";
}

TEST(PlotTest, MissingGnuplotIsARuntimeFailureAndKeepsDataAndScript) {
  TempDir dir;
  TempDir empty_bin;
  PlotOptions options;
  options.output = dir.file("chart.png");
  {
    PathGuard guard;
    ASSERT_EQ(::setenv("PATH", empty_bin.path().c_str(), 1), 0);
    ASSERT_THROWS_WITH(plot_curves(six_curves(), options), RuntimeFailure, "gnuplot-nox");
  }
  EXPECT_TRUE(torchsweep::path_exists(dir.file("chart.dat")));
  EXPECT_TRUE(torchsweep::path_exists(dir.file("chart.gp")));
  EXPECT_FALSE(torchsweep::path_exists(dir.file("chart.png")));
  EXPECT_EQ(data_blocks(read_file(dir.file("chart.dat"))).size(), 6u);
  // PATH is back.
  EXPECT_STRNE(std::getenv("PATH"), empty_bin.path().c_str());
}

// ---- groups of repeated runs ----

double base0(int step) { return 10.0 - 0.01 * step; }
double base1(int step) { return 5.0 - 0.01 * step; }

/// Three groups over steps 0..200, by hand: "lr = 0.1" three runs at base0 - 1,
/// base0 and base0 + 1; "lr = 0.01" two runs at base1 - 0.5 and base1 + 0.5;
/// "lr = 1" one run at 2 - 0.005 step.
std::vector<CurveGroup> three_groups() {
  std::vector<Curve> curves;
  auto add = [&](int64_t id, const std::string& label, auto value) {
    Curve c;
    c.run_id = id;
    c.label = label;
    for (int step = 0; step <= 200; ++step) {
      c.steps.push_back(step);
      c.values.push_back(value(step));
    }
    curves.push_back(std::move(c));
  };
  add(1, "lr = 0.1", [](int s) { return base0(s) - 1.0; });
  add(2, "lr = 0.1", [](int s) { return base0(s); });
  add(3, "lr = 0.1", [](int s) { return base0(s) + 1.0; });
  add(4, "lr = 0.01", [](int s) { return base1(s) - 0.5; });
  add(5, "lr = 0.01", [](int s) { return base1(s) + 0.5; });
  add(6, "lr = 1", [](int s) { return 2.0 - 0.005 * s; });
  return group_curves(curves);
}

/// The numbers on one data line.
std::vector<double> numbers(const std::string& line) {
  std::istringstream in(line);
  std::vector<double> out;
  double v = 0;
  while (in >> v) out.push_back(v);
  return out;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// The fill colours of the SVG's translucent polygons (gnuplot's filledcurves).
std::map<std::array<int, 3>, int> translucent_fills(const std::string& svg) {
  std::map<std::array<int, 3>, int> fills;
  static const std::regex fill(
      R"(<polygon[^>]*fill\s*=\s*['"]rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)['"][^>]*fill-opacity\s*=\s*['"]0?\.2)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), fill); it != std::sregex_iterator(); ++it)
    ++fills[{std::stoi((*it)[1]), std::stoi((*it)[2]), std::stoi((*it)[3])}];
  return fills;
}

TEST(PlotTest, MinMaxBandsLieUnderTheMeansInTheGroupColours) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("bands.svg");
  const auto files = plot_groups(three_groups(), options);

  // Data: band then mean for each repeated group, then the single run.
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 5u);
  EXPECT_EQ(blocks[0][0], "# lr = 0.1 (n=3): min and max at each step");
  EXPECT_EQ(blocks[1][0], "# lr = 0.1 (n=3): mean at each step");
  EXPECT_EQ(blocks[2][0], "# lr = 0.01 (n=2): min and max at each step");
  EXPECT_EQ(blocks[3][0], "# lr = 0.01 (n=2): mean at each step");
  EXPECT_EQ(blocks[4][0], "# lr = 1 (run 6)");
  for (const auto& block : blocks) ASSERT_EQ(block.size(), 1u + 201u) << block[0];
  for (int j = 0; j <= 200; ++j) {
    const auto band0 = numbers(blocks[0][1 + j]);
    ASSERT_EQ(band0.size(), 3u);
    EXPECT_EQ(band0[0], j);
    EXPECT_EQ(band0[1], base0(j) - 1.0);
    EXPECT_EQ(band0[2], base0(j) + 1.0);
    const auto mean0 = numbers(blocks[1][1 + j]);
    ASSERT_EQ(mean0.size(), 2u);
    EXPECT_NEAR(mean0[1], base0(j), 1e-12);
    const auto band1 = numbers(blocks[2][1 + j]);
    EXPECT_EQ(band1[1], base1(j) - 0.5);
    EXPECT_EQ(band1[2], base1(j) + 0.5);
    EXPECT_NEAR(numbers(blocks[3][1 + j])[1], base1(j), 1e-12);
  }

  // Script: the bands first, translucent, in the group colours; the legend titles the means.
  const std::string script = read_file(files.script);
  EXPECT_EQ(count_of(script, "with filledcurves fs transparent solid 0.2"), 2u) << script;
  EXPECT_LT(script.rfind("filledcurves"), script.find("with lines")) << script;
  EXPECT_NE(script.find("index 0 using 1:2:3 with filledcurves fs transparent solid 0.2 noborder lc rgb '#1f77b4' notitle"),
            std::string::npos) << script;
  EXPECT_NE(script.find("index 1 using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'lr = 0.1 (n=3)'"),
            std::string::npos) << script;
  EXPECT_NE(script.find("index 2 using 1:2:3 with filledcurves fs transparent solid 0.2 noborder lc rgb '#ff7f0e' notitle"),
            std::string::npos) << script;
  EXPECT_NE(script.find("index 3 using 1:2 with lines lw 2 lc rgb '#ff7f0e' title 'lr = 0.01 (n=2)'"),
            std::string::npos) << script;
  EXPECT_NE(script.find("index 4 using 1:2 with lines lw 2 lc rgb '#2ca02c' title 'lr = 1'\n"), std::string::npos)
      << script;

  // SVG: two translucent fills in the first two colours, none in the third; the legend.
  const std::string svg = read_file(files.chart);
  const auto fills = translucent_fills(svg);
  EXPECT_GE(fills.count(kTab10[0]), 1u) << "no band in " << plot_palette()[0];
  EXPECT_GE(fills.count(kTab10[1]), 1u) << "no band in " << plot_palette()[1];
  EXPECT_EQ(fills.count(kTab10[2]), 0u) << "a group of one run has no band";
  EXPECT_EQ(fills.size(), 2u);
  for (const std::string label : {"lr = 0.1 (n=3)", "lr = 0.01 (n=2)", "lr = 1", "mean; shaded: min to max"})
    EXPECT_NE(svg.find(">" + label + "<"), std::string::npos) << label;
  for (size_t i = 0; i < 3; ++i) {
    const auto& c = kTab10[i];
    char stroke[64];  // as gnuplot's SVG terminal writes a line colour
    std::snprintf(stroke, sizeof stroke, "stroke='rgb(%3d, %3d, %3d)'", c[0], c[1], c[2]);
    EXPECT_NE(svg.find(stroke), std::string::npos) << stroke;
  }
}

TEST(PlotTest, StdBandIsTheMeanPlusMinusTheSampleStd) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("std.svg");
  options.band = Band::Std;
  const auto files = plot_groups(three_groups(), options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 5u);
  EXPECT_EQ(blocks[0][0], "# lr = 0.1 (n=3): mean - std and mean + std at each step");
  ASSERT_EQ(blocks[0].size(), 202u);
  ASSERT_EQ(blocks[2].size(), 202u);
  for (int j = 0; j <= 200; ++j) {
    // Offsets -1, 0, +1: squares sum to 2, / (3 - 1): std 1.
    const auto band0 = numbers(blocks[0][1 + j]);
    EXPECT_NEAR(band0[1], base0(j) - 1.0, 1e-12);
    EXPECT_NEAR(band0[2], base0(j) + 1.0, 1e-12);
    // Offsets -0.5, +0.5: squares sum to 0.5, / (2 - 1): std sqrt(0.5).
    const auto band1 = numbers(blocks[2][1 + j]);
    EXPECT_NEAR(band1[1], base1(j) - std::sqrt(0.5), 1e-12);
    EXPECT_NEAR(band1[2], base1(j) + std::sqrt(0.5), 1e-12);
  }
  const std::string svg = read_file(files.chart);
  EXPECT_EQ(translucent_fills(svg).size(), 2u);
  EXPECT_NE(svg.find(">mean; shaded: +/- 1 std<"), std::string::npos);
}

TEST(PlotTest, PngShowsEachBandAsAPaleShadeOfItsGroupColour) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("bands.png");
  options.width = 800;
  options.height = 500;
  const auto files = plot_groups(three_groups(), options);
  Image image;
  decode_png(read_file(files.chart), image);
  if (HasFatalFailure()) return;
  EXPECT_EQ(image.width, 800u);
  EXPECT_EQ(image.height, 500u);
  // A fill of opacity 0.2 over white: each channel 255 - 0.2 (255 - c).
  auto shade = [](const std::array<int, 3>& c) {
    std::array<int, 3> out{};
    for (size_t k = 0; k < 3; ++k) out[k] = static_cast<int>(std::lround(255.0 - 0.2 * (255.0 - c[k])));
    return out;
  };
  // Bands two and one y units high over a plot some 12 units tall: thousands of pixels each.
  EXPECT_GE(count_colour(image, shade(kTab10[0]), 3), 5000);
  EXPECT_GE(count_colour(image, shade(kTab10[1]), 3), 5000);
  EXPECT_LT(count_colour(image, shade(kTab10[2]), 3), 2000) << "the single run has a band";
  // The means are drawn over the bands, in the full colours.
  for (size_t i = 0; i < 3; ++i) EXPECT_GE(count_colour(image, kTab10[i], 8), 100) << plot_palette()[i];
}

TEST(PlotTest, BandNoneDrawsEachRunInItsGroupColour) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("runs.svg");
  options.band = Band::None;
  const auto files = plot_groups(three_groups(), options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 6u);
  EXPECT_EQ(blocks[0][0], "# lr = 0.1 (run 1)");
  EXPECT_EQ(blocks[3][0], "# lr = 0.01 (run 4)");
  EXPECT_EQ(numbers(blocks[2][1 + 50])[1], base0(50) + 1.0);
  const std::string script = read_file(files.script);
  EXPECT_EQ(script.find("filledcurves"), std::string::npos);
  EXPECT_EQ(count_of(script, "lc rgb '#1f77b4'"), 3u);
  EXPECT_EQ(count_of(script, "lc rgb '#ff7f0e'"), 2u);
  EXPECT_EQ(count_of(script, "lc rgb '#2ca02c'"), 1u);
  // One legend entry per group.
  EXPECT_EQ(count_of(script, "title 'lr = 0.1 (n=3)'"), 1u);
  EXPECT_EQ(count_of(script, "title 'lr = 0.01 (n=2)'"), 1u);
  EXPECT_EQ(count_of(script, " notitle"), 3u);
  const std::string svg = read_file(files.chart);
  EXPECT_TRUE(translucent_fills(svg).empty());
  EXPECT_NE(svg.find(">lr = 0.1 (n=3)<"), std::string::npos);
}

TEST(PlotTest, GroupsOfOneRunAreDrawnAsPlainLines) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("groups.svg");
  const auto grouped = plot_groups(group_curves(six_curves()), options);
  options.output = dir.file("curves.svg");
  const auto plain = plot_curves(six_curves(), options);
  EXPECT_EQ(read_file(grouped.data), read_file(plain.data));
  const std::string script = read_file(grouped.script);
  EXPECT_EQ(script.find("filledcurves"), std::string::npos);
  EXPECT_EQ(script.find("(n="), std::string::npos);
  EXPECT_EQ(script.find("set key title"), std::string::npos);
  EXPECT_EQ(count_of(script, " with lines lw 2 "), 6u);
}

TEST(PlotTest, RunsOfMissingPointsBreakTheLineWithoutEndingTheBlock) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("gaps.svg");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Curve a{1, "a", {0, 1, 2, 3, 4, 5}, {nan, nan, 1.0, nan, nan, 2.0}};
  Curve b{2, "b", {0, 1}, {3.0, 4.0}};
  const auto files = plot_curves({a, b}, options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0], (std::vector<std::string>{"# a (run 1)", "2 1", "", "5 2"}));
  EXPECT_EQ(blocks[1], (std::vector<std::string>{"# b (run 2)", "0 3", "1 4"}));
}

TEST(PlotTest, LogScaleLeavesOutBandEdgesAtOrBelowZero) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("log.svg");
  options.band = Band::Std;
  options.log_y = true;
  // Step 1: values 0.1 and 3, mean 1.55, std 2.9 / sqrt(2) = 2.05...: the lower edge is below 0.
  Curve a{1, "g", {0, 1, 2}, {1.0, 0.1, 1.0}};
  Curve b{2, "g", {0, 1, 2}, {3.0, 3.0, 3.0}};
  const auto files = plot_groups(group_curves({a, b}), options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 2u);
  ASSERT_EQ(blocks[0].size(), 4u);
  EXPECT_EQ(blocks[0][2], "");
  // Steps 0 and 2: mean 2, std sqrt(2).
  for (const size_t line : {1u, 3u}) {
    const auto band = numbers(blocks[0][line]);
    ASSERT_EQ(band.size(), 3u);
    EXPECT_NEAR(band[1], 2.0 - std::sqrt(2.0), 1e-12);
    EXPECT_NEAR(band[2], 2.0 + std::sqrt(2.0), 1e-12);
  }
  EXPECT_EQ(blocks[1].size(), 4u) << "the mean is positive at every step";
}

TEST(PlotTest, OnePointSeriesAreDrawnAsMarks) {
  // Runs with one evaluation each (test/acc at the last step): a line through one point
  // draws nothing, so the chart was empty.
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("one.png");
  options.metric = "test/acc";
  const auto files = plot_curves({Curve{1, "lr = 0.1", {100}, {0.8}}, Curve{2, "lr = 1", {100}, {0.6}}}, options);
  const std::string script = read_file(files.script);
  EXPECT_EQ(count_of(script, "with linespoints"), 2u) << script;
  Image image;
  decode_png(read_file(files.chart), image);
  if (HasFatalFailure()) return;
  // Each mark covers some tens of pixels (legend samples aside, a line would cover none).
  for (size_t i = 0; i < 2; ++i) EXPECT_GE(count_colour(image, kTab10[i], 8), 40) << plot_palette()[i];
}

TEST(PlotTest, EveryGroupIsDrawnInAStyleOfItsOwn) {
  // tab10 has ten colours: the 11th group (lr = 2.2 after lr = 0.2) shared the first's blue.
  for (size_t i = 0; i < 700; ++i)
    for (size_t j = 0; j < i; ++j) {
      const auto a = plot_style(i), b = plot_style(j);
      ASSERT_FALSE(a.colour == b.colour && a.dash == b.dash && a.point == b.point) << i << " and " << j;
    }
  EXPECT_EQ(plot_style(0).colour, "#1f77b4");
  EXPECT_EQ(plot_style(0).dash, 1);
  EXPECT_EQ(plot_style(10).colour, "#1f77b4");
  EXPECT_EQ(plot_style(10).dash, 2);
  EXPECT_EQ(plot_style(49).dash, 5);
  EXPECT_EQ(plot_style(50).point, 1);

  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("twelve.svg");
  std::vector<Curve> curves;
  for (int i = 0; i < 12; ++i) curves.push_back(Curve{i + 1, "g" + std::to_string(i), {0, 1}, {1.0 * i, 1.0 * i}});
  const std::string script = read_file(plot_curves(curves, options).script);
  EXPECT_NE(script.find("with lines lw 2 lc rgb '#1f77b4' title 'g0'"), std::string::npos) << script;
  EXPECT_NE(script.find("with lines lw 2 dt 2 lc rgb '#1f77b4' title 'g10'"), std::string::npos) << script;
  EXPECT_NE(script.find("dt 2 lc rgb '#ff7f0e' title 'g11'"), std::string::npos) << script;
}

TEST(PlotTest, DefaultTitleNamesTheSweepAndTheSharedParameters) {
  torchsweep::RunsInCommon common;
  common.sweeps = {{3, "seed-backprop"}};
  common.fixed = {{"optimizer.momentum", SqlValue(0.9)}, {"train.steps", SqlValue(int64_t{50})}};
  const std::string title = torchsweep::default_title("train/loss", common);
  EXPECT_EQ(title, "train/loss - seed-backprop (sweep 3)\noptimizer.momentum=0.9  train.steps=50");
  common.sweeps = {{3, "a"}, {4, "a"}, {9, "b"}};
  common.fixed.clear();
  for (int i = 0; i < 12; ++i) common.fixed.push_back({"optimizer.parameter" + std::to_string(i), SqlValue(0.123456789)});
  const std::string many = torchsweep::default_title("test/acc", common, "max");
  EXPECT_EQ(many.substr(0, many.find('\n')), "test/acc (max) - a, b (sweeps 3, 4, 9)");
  std::istringstream lines(many);
  std::string line;
  while (std::getline(lines, line)) EXPECT_LE(line.size(), 90u) << line;
  EXPECT_NE(many.find("optimizer.parameter11=0.123457"), std::string::npos) << many;

  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("titled.svg");
  options.title = title;
  const auto files = plot_curves(six_curves(), options);
  const std::string svg = read_file(files.chart);
  EXPECT_NE(svg.find(">train/loss - seed-backprop (sweep 3)<"), std::string::npos) << "the first line";
  EXPECT_NE(svg.find(">optimizer.momentum=0.9  train.steps=50<"), std::string::npos) << "the second line";
}

TEST(PlotTest, ScanDrawsEachRunAgainstItsParameterOnALogAxis) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  torchsweep::Scan scan;
  scan.log_x = true;
  scan.left_out = 1;
  // Momentum 0: rates 0.001, 0.01 (two seeds), 0.1; momentum 0.9: one run at 0.01.
  scan.series = {{"optimizer.momentum = 0", {{1, 0.001, 0.9}, {2, 0.01, 0.4}, {3, 0.01, 0.6}, {4, 0.1, 0.3}}},
                 {"optimizer.momentum = 0.9", {{5, 0.01, 0.2}}}};
  PlotOptions options;
  options.output = dir.file("scan.png");
  const auto files = plot_scan(scan, "optimizer.lr", "last", options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 4u);
  // The runs (x, y, run id), then the mean at each x.
  EXPECT_EQ(blocks[0], (std::vector<std::string>{"# optimizer.momentum = 0: optimizer.lr, train/loss last, run id",
                                                 "0.001 0.90000000000000002 1", "0.01 0.40000000000000002 2",
                                                 "0.01 0.59999999999999998 3", "0.10000000000000001 0.29999999999999999 4"}));
  ASSERT_EQ(blocks[1].size(), 4u);
  EXPECT_EQ(numbers(blocks[1][2]), (std::vector<double>{0.01, 0.5}));
  const std::string script = read_file(files.script);
  EXPECT_NE(script.find("set logscale x"), std::string::npos);
  EXPECT_NE(script.find("set xlabel 'optimizer.lr (log scale)'"), std::string::npos) << script;
  EXPECT_NE(script.find("1 run(s) left out"), std::string::npos) << script;
  EXPECT_NE(script.find("title 'optimizer.momentum = 0 (4 runs), mean'"), std::string::npos) << script;
  EXPECT_NE(script.find("title 'optimizer.momentum = 0.9 (1 runs)'"), std::string::npos) << script;
  Image image;
  decode_png(read_file(files.chart), image);
  if (HasFatalFailure()) return;
  // The second series is one run: its mark and its legend sample (a line alone would show neither).
  for (size_t i = 0; i < 2; ++i) EXPECT_GE(count_colour(image, kTab10[i], 8), 20) << plot_palette()[i];
}

TEST(PlotTest, ScanWithNoDrawablePointIsAnInputErrorAndWritesNothing) {
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("scan.png");
  // Every run diverged: load_scan left them all out, so no series has a point.
  torchsweep::Scan diverged;
  diverged.left_out = 3;
  ASSERT_THROWS_WITH(plot_scan(diverged, "optimizer.lr", "last", options), InputError,
                     "--x optimizer.lr: no run has a finite train/loss (last) to plot (3 run(s) with nan or inf");
  // Points that are no finite number, handed in directly.
  torchsweep::Scan nan_points;
  nan_points.series = {{"runs", {{1, 0.1, std::nan("")}, {2, std::numeric_limits<double>::infinity(), 0.5}}}};
  ASSERT_THROWS_WITH(plot_scan(nan_points, "optimizer.lr", "min", options), InputError,
                     "--x optimizer.lr: no run has a finite train/loss (min) to plot");
  // On a log y axis a value of 0 or below has no place.
  torchsweep::Scan at_or_below_zero;
  at_or_below_zero.series = {{"optimizer.momentum = 0", {{1, 0.1, 0.0}}}, {"optimizer.momentum = 0.9", {{2, 0.1, -1.0}}}};
  options.log_y = true;
  ASSERT_THROWS_WITH(plot_scan(at_or_below_zero, "optimizer.lr", "last", options), InputError,
                     "--x optimizer.lr: no run has a train/loss (last) above 0 to plot on --logy's log axis");
  EXPECT_TRUE(torchsweep::list_directory(dir.path()).empty()) << "nothing is written when nothing can be drawn";
}

}  // namespace

namespace {

/// Issue 24: where a run stopped early is marked, at its last point that can be drawn.
TEST(PlotTest, AStoppedRunsLastPointIsMarkedWithACross) {
  SKIP_WITHOUT_GNUPLOT();
  TempDir dir;
  PlotOptions options;
  options.output = dir.file("stopped.svg");
  Curve finished, stopped, nan_end;
  finished.run_id = 1;
  finished.label = "lr = 0.1";
  finished.steps = {0, 1, 2, 3};
  finished.values = {4.0, 3.0, 2.0, 1.0};
  stopped = finished;
  stopped.run_id = 2;
  stopped.label = "lr = 1";
  stopped.steps = {0, 1};
  stopped.values = {5.0, 4.5};
  stopped.stopped = true;
  nan_end = stopped;  // stopped with a last point that is NaN: the mark goes on the one before
  nan_end.run_id = 3;
  nan_end.label = "lr = 3";
  nan_end.steps = {0, 1, 2};
  nan_end.values = {6.0, 5.5, std::numeric_limits<double>::quiet_NaN()};
  const auto files = plot_curves({finished, stopped, nan_end}, options);
  const auto blocks = data_blocks(read_file(files.data));
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[3], (std::vector<std::string>{"# where runs stopped early: the last point of each stopped run",
                                                 "1 4.5", "1 5.5"}));
  const std::string script = read_file(files.script);
  EXPECT_NE(script.find("index 3 using 1:2 with points pt 2 ps 1.6 lw 2 lc rgb '#000000' title 'stopped early (2)'"),
            std::string::npos)
      << script;
  EXPECT_NE(read_file(files.chart).find(">stopped early (2)<"), std::string::npos);
  // Without a stopped run there is no such block or legend entry.
  options.output = dir.file("plain.svg");
  const auto plain = plot_curves({finished}, options);
  EXPECT_EQ(read_file(plain.script).find("stopped early"), std::string::npos);
}

}  // namespace
