// `torchsweep lr-find` as a user runs it: through the front program, which hands it
// to the full one; its table, the range line, the chart; bad flags exit 2 writing nothing.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "base/paths.h"
#include "tests/cli/cli_fixture.h"
#include "tests/command_helpers.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::CommandResult;
using torchsweep::testing::TempDir;
using torchsweep::testing::read_file;
using torchsweep::testing::run_in;
using torchsweep::testing::shell_quote;
using torchsweep::testing::cli::poll_value;

const std::string kSpec = torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml";

CommandResult torchsweep_cli(const TempDir& dir, const std::vector<std::string>& args) {
  std::string command = TORCHSWEEP_BINARY;
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_in(dir, command);
}

TEST(LrFindCliTest, PrintsTheSuggestionsAndARangeAndDrawsTheChart) {
  TempDir dir;
  const auto r = torchsweep_cli(dir, {"lr-find", kSpec, "--end", "1e4", "--db", "lr.db", "--plot", "lr.svg"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("lr-find 'seed-backprop': run 1 (sweep 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stopped: smoothed loss"), std::string::npos) << r.out;
  for (const char* row : {"valley", "steep", "minimum"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("\\n") + row + " +[0-9.e-]+ +[0-9.e-]+ ")))
        << row << "\n" << r.out;
  std::smatch range;
  ASSERT_TRUE(std::regex_search(
      r.out, range,
      std::regex("\\n  optimizer\\.lr: \\{distribution: log_uniform, low: ([0-9.e+-]+), high: ([0-9.e+-]+)\\}\\n")))
      << r.out;
  EXPECT_LT(std::stod(range[1]), std::stod(range[2]));
  // Not a terminal: no progress line and no text chart.
  EXPECT_EQ(r.out.find("\r"), std::string::npos);
  EXPECT_EQ(r.out.find(" +-----"), std::string::npos) << r.out;
  // The chart: the smoothed curve on a log x axis and the three marks in its legend.
  ASSERT_TRUE(torchsweep::path_exists(dir.file("lr.svg"))) << r.out << r.err;
  const std::string script = read_file(dir.file("lr.gp"));
  EXPECT_NE(script.find("set logscale x"), std::string::npos) << script;
  const std::string svg = read_file(dir.file("lr.svg"));
  for (const char* mark : {"valley", "steep", "minimum/10", "smoothed loss"})
    EXPECT_NE(svg.find(mark), std::string::npos) << mark;
  // Recorded as a run of its own kind.
  EXPECT_EQ(poll_value(dir.file("lr.db"), "SELECT kind || ' ' || status FROM runs"), "lr_find finished");
  EXPECT_EQ(poll_value(dir.file("lr.db"), "SELECT mode FROM sweeps"), "lr_find");
  EXPECT_EQ(poll_value(dir.file("lr.db"), "SELECT count(*) = max(step) + 1 FROM metrics WHERE key = 'lr_find/lr'"),
            "1");
}

TEST(LrFindCliTest, BadFlagsExitTwoNamingTheFlagAndWriteNothing) {
  TempDir dir;
  struct Case {
    std::vector<std::string> flags;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--start", "10", "--end", "1"}, "--start 10: expected a rate below --end (1)"},
      {{"--start", "1", "--end", "1"}, "--start 1: expected a rate below --end"},
      {{"--start", "0"}, "--start 0: expected a rate above 0"},
      {{"--start", "abc"}, "--start"},
      {{"--steps", "1"}, "--steps"},
      {{"--stop-factor", "0.5"}, "--stop-factor 0.5"},
      {{"--plot", "lr.pdf"}, "--plot lr.pdf: expected a file name ending in .png or .svg"},
      {{"optimizer.lr=-1"}, "optimizer.lr"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"lr-find", kSpec, "--db", "bad.db"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_FALSE(torchsweep::path_exists(dir.file("bad.db"))) << c.says;
  }
}

TEST(LrFindCliTest, TheCommandIsListedAndCompleted) {
  TempDir dir;
  const auto help = torchsweep_cli(dir, {"--help"});
  EXPECT_NE(help.out.find("lr-find"), std::string::npos) << help.out;
  const auto completion = torchsweep_cli(dir, {"completion", "bash"});
  ASSERT_EQ(completion.code, 0) << completion.err;
  EXPECT_NE(completion.out.find("\" lr-find\") words=\""), std::string::npos);
  EXPECT_NE(completion.out.find("--stop-factor"), std::string::npos);
  EXPECT_NE(completion.out.find("|--plot)"), std::string::npos);
}

}  // namespace
