// End to end through the torchsweep executable, as a user runs it.
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "base/paths.h"
#include "results/schema.h"
#include "results/store.h"
#include "tests/cli/cli_fixture.h"
#include "tests/data/cifar_files.h"
#include "tests/results/adaptive_fixture.h"
#include "tests/results/schema_rollback.h"
#include "tests/command_helpers.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::testing::CommandResult;
using torchsweep::testing::TempDir;
using torchsweep::testing::read_file;
using torchsweep::testing::run_in;
using torchsweep::testing::shell_quote;
using torchsweep::testing::cli::poll_value;

/// Runs torchsweep in `dir` with TORCHSWEEP_DB unset.
CommandResult torchsweep_cli(const TempDir& dir, const std::vector<std::string>& args) {
  std::string command = TORCHSWEEP_BINARY;
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_in(dir, command);
}

/// A single-value query on a database file.
std::string query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

const std::string kSpec = torchsweep::testing::source_dir() + "/experiments/seed_backprop.yaml";

#define SKIP_WITHOUT_SCRIPT()                                            \
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() \
      << "script (bsdutils) is not installed"

/// Runs `torchsweep run kSpec ARGUMENTS` in `dir` on a terminal of `columns` columns
/// (`script` gives the command one); `screen` receives all the terminal was sent.
void run_on_terminal(const TempDir& dir, int columns, const std::string& arguments, std::string* screen) {
  const std::string command = "cd " + shell_quote(dir.path()) + " && script -qec " +
                              shell_quote("stty cols " + std::to_string(columns) + "; " +
                                          std::string(TORCHSWEEP_BINARY) + " run " + kSpec + " " + arguments) +
                              " /dev/null > screen.txt 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << read_file(dir.file("screen.txt"));
  *screen = read_file(dir.file("screen.txt"));
}

/// The screen's text with each cursor or erase sequence turned into a line break.
std::string screen_text(const std::string& screen) {
  return std::regex_replace(screen, std::regex("\x1b\\[[0-9]*[A-Za-z]"), "\n");
}

class CliTest : public ::testing::Test {
 protected:
  /// Runs the shipped seed experiment once into `db` for the tests that query it.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = torchsweep_cli(*dir_, {"run", kSpec, "--db", "seed.db"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    ASSERT_NE(r.out.find("6 finished, 0 diverged, 0 failed"), std::string::npos) << r.out;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string db() { return dir_->file("seed.db"); }
  static TempDir* dir_;
};
TempDir* CliTest::dir_ = nullptr;

TEST_F(CliTest, RunRecordsSixFinishedRunsWithTheirParamsAndMetrics) {
  EXPECT_EQ(query(db(), "SELECT count(*) FROM sweeps"), "1");
  EXPECT_EQ(query(db(), "SELECT name FROM sweeps"), "seed-backprop");
  EXPECT_EQ(query(db(), "SELECT count(*) FROM runs WHERE status = 'finished'"), "6");
  EXPECT_EQ(query(db(), "SELECT group_concat(value, ' ') FROM (SELECT value FROM params WHERE key = 'optimizer.lr' "
                        "ORDER BY value)"),
            "0.1 0.2 0.5 0.8 1.0 2.0");
  EXPECT_EQ(query(db(), "SELECT DISTINCT typeof(value) FROM params WHERE key = 'optimizer.lr'"), "real");
  EXPECT_EQ(query(db(), "SELECT count(*) FROM params WHERE key = 'optimizer.lr' AND value > 0.5"), "3");
  EXPECT_EQ(query(db(), "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "600");
  EXPECT_EQ(query(db(), "SELECT min(step) || ' ' || max(step) FROM metrics WHERE key = 'train/loss'"), "0 99");
  const double e19 = std::stod(query(db(),
      "SELECT m.value FROM metrics m JOIN params p ON p.run_id = m.run_id AND p.key = 'optimizer.lr' AND p.value = 1.0 "
      "WHERE m.key = 'train/loss' AND m.step = 19"));
  EXPECT_NEAR(e19, 0.004441332139, 1e-9);
  EXPECT_EQ(query(db(), "SELECT count(*) FROM runs WHERE host IS NULL OR torch_version IS NULL OR started_at IS NULL "
                        "OR ended_at IS NULL OR device <> 'cpu' OR config_json NOT LIKE '{%'"),
            "0");
  EXPECT_EQ(query(db(), "PRAGMA journal_mode"), "wal");
}

TEST_F(CliTest, ExportGivesTheSpreadsheetBack) {
  const std::string run = query(db(), "SELECT run_id FROM params WHERE key = 'optimizer.lr' AND value = 1.0");
  const auto r = torchsweep_cli(*dir_, {"results", "export", run, "--db", "seed.db", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::stringstream lines(r.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header,
            "step,net/t1,net/t2,net/i1,net/i2,net/w1,net/w2,net/w3,net/w4,net/w5,net/w6,net/w7,net/w8,net/h1,net/a_h1,"
            "net/h2,net/a_h2,net/o1,net/a_o1,net/o2,net/a_o2,net/E1,net/E2,train/loss,grad/w1,grad/w2,grad/w3,grad/w4,"
            "grad/w5,grad/w6,grad/w7,grad/w8");
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 100u);
  // Iteration 1 at eta = 1: E_total 0.01337791557 (column 24 of the row).
  std::stringstream cells(rows[1]);
  std::vector<std::string> row;
  while (std::getline(cells, line, ',')) row.push_back(line);
  ASSERT_EQ(row.size(), 32u);
  EXPECT_EQ(row[0], "1");
  EXPECT_NEAR(std::stod(row[23]), 0.01337791557, 1e-9);
}

TEST_F(CliTest, CompareListsOneRowPerLearningRate) {
  const auto r = torchsweep_cli(*dir_, {"results", "compare", "--db", "seed.db", "--by", "optimizer.lr", "--metric",
                                        "train/loss", "--at", "1,19", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::stringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "optimizer.lr,n,train/loss@first,@1,@19,last,min,half_at,last_step,last_mean,last_std,best");
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 6u);
  std::vector<std::string> cells;
  std::stringstream row(rows[4]);
  while (std::getline(row, line, ',')) cells.push_back(line);
  ASSERT_GE(cells.size(), 11u) << rows[4];
  EXPECT_EQ(cells[0], "1");  // eta = 1.0
  EXPECT_EQ(cells[1], "1");
  EXPECT_NEAR(std::stod(cells[2]), 0.01418137794, 1e-9);
  EXPECT_NEAR(std::stod(cells[3]), 0.01337791557, 1e-9);
  EXPECT_NEAR(std::stod(cells[4]), 0.004441332139, 1e-9);
  // E_total first fell to half its start (0.00709069) or below at iteration 12 for eta = 1.
  EXPECT_EQ(cells[7], "12");
  EXPECT_EQ(cells[8], "99");
  // The lowest final E_total is eta = 2's: marked best.
  EXPECT_EQ(rows[5].substr(rows[5].size() - 2), ",*") << rows[5];
  EXPECT_EQ(rows[4].back(), ',') << rows[4];
}

TEST_F(CliTest, WhereShowSqlAndMerge) {
  auto r = torchsweep_cli(*dir_, {"results", "list", "--db", "seed.db", "--where", "optimizer.lr >= 0.8 and train/loss.last < 0.0001",
                                  "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4) << r.out;  // header + lr 0.8, 1.0, 2.0
  r = torchsweep_cli(*dir_, {"results", "list", "--db", "seed.db", "--where", "optimizer.lr >="});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--where: column 16"), std::string::npos) << r.err;
  // A mistyped name: exit 2 with a suggestion, not an empty table.
  r = torchsweep_cli(*dir_, {"results", "list", "--db", "seed.db", "--where", "optimizer.lrr > 0.1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("--where: column 1: unknown name 'optimizer.lrr' (did you mean 'optimizer.lr'?)", 0), 0u)
      << r.err;
  r = torchsweep_cli(*dir_, {"results", "show", "1", "--db", "seed.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("optimizer.lr"), std::string::npos);
  EXPECT_NE(r.out.find("train/loss"), std::string::npos);
  r = torchsweep_cli(*dir_, {"results", "sql", "SELECT count(*) AS n FROM runs", "--db", "seed.db", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n6\n");
  r = torchsweep_cli(*dir_, {"results", "sql", "DELETE FROM runs", "--db", "seed.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("only queries that read are run; refused: DELETE from runs"), std::string::npos) << r.err;
  for (int i = 0; i < 2; ++i) {
    r = torchsweep_cli(*dir_, {"results", "merge", "seed.db", "--into", "merged.db"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  EXPECT_NE(r.out.find("0 run(s) added, 0 updated, 6 already present"), std::string::npos) << r.out;
  EXPECT_EQ(query(dir_->file("merged.db"), "SELECT count(*) FROM runs"), "6");
  EXPECT_EQ(query(dir_->file("merged.db"), "SELECT count(*) FROM metrics"), query(db(), "SELECT count(*) FROM metrics"));
}

TEST_F(CliTest, ListAndCurves) {
  auto r = torchsweep_cli(*dir_, {"results", "list", "--db", "seed.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("optimizer.lr"), std::string::npos);
  EXPECT_NE(r.out.find("finished"), std::string::npos);
  r = torchsweep_cli(*dir_, {"results", "curves", "--db", "seed.db", "--by", "optimizer.lr", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 100u);
  EXPECT_EQ(json[0]["step"], 0);
  EXPECT_NEAR(json[19]["optimizer.lr = 1"].get<double>(), 0.004441332139, 1e-9);
}

TEST_F(CliTest, PlotWritesPngAndSvgWithSixCurvesAndALegend) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot-nox is not installed";
  for (const std::string ext : {"png", "svg"}) {
    const auto r = torchsweep_cli(*dir_, {"results", "plot", "--db", "seed.db", "--metric", "train/loss", "--by",
                                          "optimizer.lr", "-o", "chart." + ext});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string png = read_file(dir_->file("chart.png"));
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const std::string svg = read_file(dir_->file("chart.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const std::string lr : {"0.1", "0.2", "0.5", "0.8", "1", "2"})
    EXPECT_NE(svg.find(">optimizer.lr = " + lr + "</text>"), std::string::npos) << lr;
}

TEST_F(CliTest, ValidateAndModels) {
  auto r = torchsweep_cli(*dir_, {"validate", kSpec, "optimizer.lr=[0.1,0.3]"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sweep 'seed-backprop': 2 run(s) (grid over optimizer.lr)"), std::string::npos) << r.out;
  r = torchsweep_cli(*dir_, {"models"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("backprop_2x2x2 +8 "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("s6_cnn +19642 "))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("resnet18_cifar +11173962 "))) << r.out;
  EXPECT_NE(r.out.find("seed_example"), std::string::npos);
  EXPECT_NE(r.out.find("half_sse"), std::string::npos);
}

/// torchvision's resnet18(num_classes=10) with a 3x3 stem and no max-pool has 11,173,962
/// parameters (tests/models/resnet_test.cpp counts them in Python); 100 classes add
/// 90 x 513 to the head.
TEST_F(CliTest, SummaryOfResNet18CountsTorchvisionsParameters) {
  auto r = torchsweep_cli(*dir_, {"summary", "resnet18_cifar"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Total params: 11,173,962\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Conv2d-1"), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("Linear-\\d+ +\\[-1, 10\\] +5,130\n"))) << r.out;
  r = torchsweep_cli(*dir_, {"summary", "resnet18_cifar", "classes=100"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Total params: 11,220,132\n"), std::string::npos) << r.out;
}

/// Eight processes write runs into one database at once: all finish, every row is
/// there, and no "database is locked" reaches the user.
/// A spec with three mistakes: one pass of validate (or run) reports all three, one
/// line each in the order of the file, exit 2, and run writes nothing.
TEST(CliValidateTest, ThreeMistakesAreThreeLinesInOnePass) {
  TempDir dir;
  std::string text = read_file(kSpec);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"seed: 1", "seed: -1"}, {"loss: half_sse", "loss: hinge"}, {"  steps: 100", "  stepz: 100"}}) {
    ASSERT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
  }
  const std::string spec = dir.write("three.yaml", text);
  for (const std::string command : {"validate", "run"}) {
    std::vector<std::string> args = {command, spec};
    if (command == "run") args.insert(args.end(), {"--db", dir.file("fresh.db")});
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << command << ": " << r.out << r.err;
    std::vector<std::string> lines;
    std::stringstream in(r.err);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 3u) << command << ": " << r.err;
    EXPECT_EQ(lines[0], spec + ":5:7: seed: expected an integer >= 0, got -1");
    EXPECT_EQ(lines[1].rfind(spec + ":11:7: loss: unknown loss 'hinge', expected one of: ", 0), 0u) << lines[1];
    EXPECT_EQ(lines[2].rfind(spec + ":16:3: train.stepz: unknown key, did you mean 'train.steps'?", 0), 0u) << lines[2];
    EXPECT_FALSE(torchsweep::path_exists(dir.file("fresh.db")));
  }
}

TEST(CliConcurrencyTest, EightWritersShareOneDatabase) {
  TempDir dir;
  std::string command = "cd " + shell_quote(dir.path()) + " || exit 1; ";
  for (int i = 0; i < 8; ++i) {
    const std::string n = std::to_string(i);
    command += "(" + std::string(TORCHSWEEP_BINARY) + " run " + shell_quote(kSpec) + " train.steps=" +
               std::to_string(40 + i) + " --db shared.db >out" + n + ".txt 2>err" + n + ".txt; echo $? >rc" + n +
               ".txt) & ";
  }
  command += "wait";
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(read_file(dir.file("rc" + std::to_string(i) + ".txt")), "0\n") << i;
    EXPECT_EQ(read_file(dir.file("err" + std::to_string(i) + ".txt")), "") << i;
  }
  const std::string db = dir.file("shared.db");
  EXPECT_EQ(query(db, "SELECT count(*) FROM sweeps"), "8");
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "48");
  // Writer i took 40 + i steps in each of its six runs.
  EXPECT_EQ(query(db, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), std::to_string(6 * (8 * 40 + 28)));
  EXPECT_EQ(query(db, "SELECT count(*) FROM summaries WHERE key = 'train/loss'"), "48");
  EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok");
}

/// Each class of bad input: exit 2, one line naming file:line:col, no database written.
TEST_F(CliTest, BadInputExitsTwoAndWritesNothing) {
  TempDir dir;
  const std::string good = read_file(kSpec);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  struct Case {
    std::string text;
    std::vector<std::string> overrides;
    std::string expected_prefix;
    long lines = 1;  ///< lines of the report: one per problem
  };
  const std::vector<Case> cases = {
      {replace("  steps: 100", "  stepz: 100"), {}, "bad.yaml:16:3: train.stepz: unknown key, did you mean 'train.steps'?"},
      {replace("seed: 1", "seed: one"), {}, "bad.yaml:5:7: seed: expected an integer >= 0, got \"one\""},
      {replace("0.1, 0.2", "-0.1, 0.2"), {}, "bad.yaml:14:8: optimizer.lr: expected a positive number, got -0.1"},
      {replace("0.1, 0.2", ".nan, 0.2"), {}, "bad.yaml:14:8: optimizer.lr: expected a positive number, got nan"},
      {replace("0.1, 0.2", ".inf, 0.2"), {}, "bad.yaml:14:8: optimizer.lr: expected a positive number, got inf"},
      {replace("steps: 100", "steps: -5"), {}, "bad.yaml:16:10: train.steps: expected an integer >= 1, got -5"},
      {replace("[0.1, 0.2, 0.5, 0.8, 1.0, 2.0]", "[]"), {}, "bad.yaml:14:7: optimizer.lr: expected a non-empty list"},
      {replace("name: sgd", "name: sgx"), {}, "bad.yaml:13:9: optimizer.name: unknown optimizer 'sgx', expected one of: "},
      // Two problems: the unknown key, and the name it was meant to be.
      {replace("name: seed-backprop", "title: x"), {}, "bad.yaml:3:1: title: unknown key", 2},
      {replace("seed: 1", "seed: 1\nseed: 2"), {}, "bad.yaml:6:1: seed: duplicate key"},
      {replace("loss: half_sse", "loss: [half_sse"), {}, "bad.yaml:"},
      {replace("seed: 1", "seed: &a [*a]"), {}, "bad.yaml:"},
      {good, {"optimizer.lr=0"}, "override 'optimizer.lr=0':1:14: optimizer.lr: expected a positive number, got 0"},
      {good, {"train.steps"}, "override 'train.steps':1:1: expected key=value"},
      // Text the database could not store as UTF-8, and a name that names nothing.
      {replace("description: 2-2-2", "description: \xff\xfe 2-2-2"), {},
       "bad.yaml:4:14: invalid UTF-8 (byte 0xFF), expected the spec to be UTF-8 text"},
      {good, {"name=a\xff"}, "override 'name=a\\xFF':1:7: invalid UTF-8 (byte 0xFF), expected UTF-8 text"},
      {replace("name: seed-backprop", "name: \"\""), {}, "bad.yaml:3:7: name: expected a non-empty string, got \"\""},
      // What LibTorch's SGD would refuse when the run starts.
      {good, {"optimizer.nesterov=true"},
       "override 'optimizer.nesterov=true':1:20: optimizer.nesterov: Nesterov momentum needs momentum > 0 and "
       "dampening 0, got momentum 0 and dampening 0"},
  };
  const std::string existing = dir_->file("seed.db");
  for (const auto& c : cases) {
    const std::string spec = dir.write("bad.yaml", c.text);
    std::vector<std::string> args = {"run", spec, "--db", dir.file("fresh.db")};
    args.insert(args.end(), c.overrides.begin(), c.overrides.end());
    auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << c.expected_prefix << "\n" << r.err;
    // Messages name the spec as it was given: here, its full path.
    const std::string prefix =
        c.expected_prefix.rfind("bad.yaml", 0) == 0 ? dir.path() + "/" + c.expected_prefix : c.expected_prefix;
    EXPECT_EQ(r.err.rfind(prefix, 0), 0u) << "got: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), c.lines) << r.err;
    EXPECT_FALSE(torchsweep::path_exists(dir.file("fresh.db"))) << c.expected_prefix;

    // Into an existing database: not a byte changes.
    const std::string before = read_file(existing);
    args[3] = existing;
    r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(read_file(existing), before) << c.expected_prefix;
  }
  auto r = torchsweep_cli(dir, {"run", dir.file("missing.yaml"), "--db", dir.file("fresh.db")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("missing.yaml: cannot read the spec: No such file or directory"), std::string::npos) << r.err;
  EXPECT_FALSE(torchsweep::path_exists(dir.file("fresh.db")));
  r = torchsweep_cli(dir, {"run", kSpec, "--no-such-flag"});
  EXPECT_EQ(r.code, 2);
  r = torchsweep_cli(dir, {"results", "list", "--db", dir.file("none.db")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no results database here"), std::string::npos) << r.err;
  EXPECT_FALSE(torchsweep::path_exists(dir.file("none.db")));
  r = torchsweep_cli(dir, {"results", "compare", "--db", existing, "--by", "optimizer.lrr"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'optimizer.lr'?"), std::string::npos) << r.err;
}

// ---- CIFAR files in the binary format ----

/// A spec training a small MLP on DIR/cifar-10-batches-bin with crop and flip.
std::string write_cifar_spec(const TempDir& dir) {
  torchsweep::testing::write_cifar10(dir.path(), 8, 10);
  return dir.write("cifar.yaml",
                   "name: cifar-tiny\n"
                   "model: {name: mlp, input: [3, 32, 32], sizes: [3072, 16, 10]}\n"
                   "data:\n"
                   "  name: cifar10\n"
                   "  root: cifar-10-batches-bin\n"
                   "  batch_size: 10\n"
                   "  crop_padding: 4\n"
                   "  flip: true\n"
                   "loss: nll\n"
                   "optimizer: {name: sgd, lr: [0.01, 0.05]}\n"
                   "train: {epochs: 2}\n");
}

TEST_F(CliTest, CifarTrainsThroughValidateAndRun) {
  TempDir dir;
  const std::string spec = write_cifar_spec(dir);
  auto r = torchsweep_cli(dir, {"validate", spec});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  r = torchsweep_cli(dir, {"run", spec, "--db", "cifar.db"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string db = dir.file("cifar.db");
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "2");
  // 40 training samples in batches of 10: 4 steps an epoch, 8 in all, per run.
  EXPECT_EQ(query(db, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "16");
  EXPECT_EQ(query(db, "SELECT group_concat(value, ' ') FROM (SELECT DISTINCT value FROM metrics WHERE key = 'lr' "
                      "ORDER BY value)"),
            "0.01 0.05");
  EXPECT_EQ(query(db, "SELECT count(*) FROM params WHERE key = 'data.crop_padding' AND value = 4"), "2");
  EXPECT_EQ(query(db, "SELECT DISTINCT value FROM params WHERE key = 'data.root'"), dir.file("cifar-10-batches-bin"));
}

TEST_F(CliTest, ATruncatedCifarBatchExitsTwoAtValidationNamingTheFile) {
  TempDir dir;
  const std::string spec = write_cifar_spec(dir);
  const std::string batch = dir.file("cifar-10-batches-bin/data_batch_3.bin");
  // 8 records of 3073 bytes, cut 1000 bytes into the last.
  const std::string bytes = read_file(batch);
  std::ofstream(batch, std::ios::binary | std::ios::trunc) << bytes.substr(0, 7 * 3073 + 1000);
  const std::string expected = spec + ":5:9: data.root: " + batch +
                               ": 22511 bytes, not a whole number of 3073-byte records (1 label byte + 3072 pixel "
                               "bytes): the record at offset 21511 is cut after 1000 bytes";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"validate", spec},
                                                std::vector<std::string>{"run", spec, "--db", "cifar.db"},
                                                std::vector<std::string>{"run", spec}}) {
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_EQ(r.err.rfind(expected, 0), 0u) << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    // No database, no artifact folder: only the spec, the data and the captured output.
    std::vector<std::string> left = torchsweep::list_directory(dir.path());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"cifar-10-batches-bin", "cifar.yaml", "stderr.txt", "stdout.txt"}))
        << args.size();
  }
}

/// An image folder whose class holds a ".png" that is text: validate and run exit 2 at
/// the line of data.root naming the file and its first bytes, and write nothing.
TEST_F(CliTest, AFakePngInAnImageFolderExitsTwoAtValidationNamingTheFile) {
  TempDir dir;
  torchsweep::create_directories(dir.file("images/cat"));
  const std::string fake = dir.write("images/cat/a.png", "Not Found\n");
  const std::string spec = dir.write("folder.yaml",
                                     "name: folder\n"
                                     "model: {name: mlp, input: [3, 4, 4], sizes: [48, 2]}\n"
                                     "data:\n"
                                     "  name: image_folder\n"
                                     "  root: images\n"
                                     "loss: nll\n"
                                     "optimizer: {name: sgd, lr: 0.1}\n"
                                     "train: {epochs: 1}\n");
  const std::string expected = spec + ":5:9: data.root: " + fake +
                               ": not a PNG or JPEG image: its first bytes are 4E 6F 74 20 46 6F 75 6E (\"Not Foun\"); "
                               "expected a PNG (89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF)";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"validate", spec},
                                                std::vector<std::string>{"run", spec, "--db", "folder.db"}}) {
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_EQ(r.err, expected + "\n") << args[0];
    std::vector<std::string> left = torchsweep::list_directory(dir.path());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"folder.yaml", "images", "stderr.txt", "stdout.txt"})) << args[0];
  }
}

/// A linear-regression table, y = 2 x1 - x2 + 0.5 at 32 points, and a spec that fits it
/// with one linear layer and mse.
std::string write_linear_csv_spec(const TempDir& dir) {
  std::string table = "x1,x2,y\n";
  for (int i = 0; i < 32; ++i) {
    const double x1 = (i % 8) / 4.0 - 1.0, x2 = (i / 8) / 2.0 - 0.75;
    table += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(2 * x1 - x2 + 0.5) + "\n";
  }
  dir.write("line.csv", table);
  return dir.write("line.yaml",
                   "name: line\n"
                   "seed: 1\n"
                   "model: {name: sequential, input: [2], layers: [{linear: {out: 1}}]}\n"
                   "data:\n"
                   "  name: csv\n"
                   "  path: line.csv\n"
                   "  target: y\n"
                   "  task: regression\n"
                   "  batch_size: 8\n"
                   "loss: mse\n"
                   "optimizer: {name: sgd, lr: 0.1}\n"
                   "train: {epochs: 10}\n");
}

TEST_F(CliTest, ACsvRegressionTrainsThroughValidateAndRun) {
  TempDir dir;
  const std::string spec = write_linear_csv_spec(dir);
  auto r = torchsweep_cli(dir, {"validate", spec});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  r = torchsweep_cli(dir, {"run", spec, "--db", "line.db"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const std::string db = dir.file("line.db");
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'finished'"), "1");
  // 32 rows in batches of 8: 4 steps an epoch, 40 in all.
  EXPECT_EQ(query(db, "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "40");
  const double first = std::stod(query(db, "SELECT value FROM metrics WHERE key = 'train/loss' ORDER BY step LIMIT 1"));
  const double last = std::stod(query(db, "SELECT value FROM metrics WHERE key = 'train/loss' ORDER BY step DESC LIMIT 1"));
  EXPECT_LT(last, first / 10) << first << " -> " << last;
  EXPECT_EQ(query(db, "SELECT DISTINCT value FROM params WHERE key = 'data.path'"), dir.file("line.csv"));
}

TEST_F(CliTest, ACsvWithoutTheTargetColumnExitsTwoAtValidationNamingIt) {
  TempDir dir;
  const std::string spec = write_linear_csv_spec(dir);
  dir.write("line.csv", "x1,x2,price\n1,2,3\n");
  const std::string expected = spec + ":6:9: data.path: " + dir.file("line.csv") +
                               ":1: no target column 'y'; the header has: x1, x2, price\n";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"validate", spec},
                                                std::vector<std::string>{"run", spec, "--db", "line.db"}}) {
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_EQ(r.err, expected) << args[0];
    std::vector<std::string> left = torchsweep::list_directory(dir.path());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"line.csv", "line.yaml", "stderr.txt", "stdout.txt"})) << args[0];
  }
}

// ---- groups of repeated runs: results curves and results plot ----

/// Writes, through Store, four finished runs of steps 0..9 into DIR/repeats.db:
/// lr 0.1 with seeds 1, 2, 3 at 9 - k, 10 - k and 12 - k at step k, and lr 1 at 5 - k / 2.
/// By hand, lr 0.1 at step k: mean 10 - k + 1/3, min 9 - k, max 12 - k, and with
/// deviations -4/3, -1/3, 5/3 from the mean a sample std of sqrt((16 + 1 + 25) / 9 / 2) = sqrt(7/3).
std::string write_repeats_db(const TempDir& dir) {
  const std::string path = dir.file("repeats.db");
  auto store = torchsweep::Store::open(path);
  torchsweep::NewSweep sweep;
  sweep.name = "repeats";
  sweep.spec_text = "name: repeats\n";
  sweep.spec_hash = "h";
  std::vector<torchsweep::NewRun> runs;
  const std::vector<std::pair<double, int64_t>> lr_seed = {{0.1, 1}, {0.1, 2}, {0.1, 3}, {1.0, 1}};
  for (size_t i = 0; i < lr_seed.size(); ++i) {
    torchsweep::NewRun r;
    r.index = static_cast<int64_t>(i);
    r.config_hash = "hash-" + std::to_string(i);
    r.config_json = "{}";
    r.seed = lr_seed[i].second;
    r.device = "cpu";
    r.params = {{"optimizer.lr", torchsweep::SqlValue(lr_seed[i].first)},
                {"seed", torchsweep::SqlValue(lr_seed[i].second)}};
    runs.push_back(r);
  }
  const auto ids = store->create_sweep(sweep, runs).second;
  const std::vector<double> offset = {-1.0, 0.0, 2.0};
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<torchsweep::MetricPoint> points;
    for (int64_t k = 0; k < 10; ++k) {
      const double v = i < 3 ? 10.0 - static_cast<double>(k) + offset[i] : 5.0 - static_cast<double>(k) / 2.0;
      points.push_back({"train/loss", k, v});
    }
    store->append_metrics(ids[i], points, {"train/loss"});
    store->end_run(ids[i], torchsweep::RunStatus::Finished, "", 9, 1.0);
  }
  return path;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream lines(text);
  std::string line, cell;
  while (std::getline(lines, line)) {
    rows.emplace_back();
    std::stringstream cells(line);
    while (std::getline(cells, cell, ',')) rows.back().push_back(cell);
    if (!line.empty() && line.back() == ',') rows.back().push_back("");
  }
  return rows;
}

TEST(CliBandsTest, CurvesByGroupGiveTheMeanAndTheBand) {
  TempDir dir;
  write_repeats_db(dir);
  auto r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = csv_rows(r.out);
  ASSERT_EQ(rows.size(), 11u) << r.out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"step", "optimizer.lr = 0.1 mean", "optimizer.lr = 1 mean"}));
  for (int k = 0; k < 10; ++k) {
    const auto& row = rows[1 + static_cast<size_t>(k)];
    ASSERT_EQ(row.size(), 3u);
    EXPECT_EQ(row[0], std::to_string(k));
    EXPECT_NEAR(std::stod(row[1]), 10.0 - k + 1.0 / 3.0, 1e-12) << row[1];
    EXPECT_NEAR(std::stod(row[2]), 5.0 - k / 2.0, 1e-12) << row[2];
  }

  r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--band", "minmax",
                           "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 10u);
  for (int k = 0; k < 10; ++k) {
    const auto& row = json[static_cast<size_t>(k)];
    EXPECT_EQ(row["step"], k);
    EXPECT_EQ(row["optimizer.lr = 0.1 min"].get<double>(), 9.0 - k);
    EXPECT_EQ(row["optimizer.lr = 0.1 max"].get<double>(), 12.0 - k);
    EXPECT_EQ(row["optimizer.lr = 1 min"].get<double>(), 5.0 - k / 2.0);
    EXPECT_EQ(row["optimizer.lr = 1 max"].get<double>(), 5.0 - k / 2.0);
  }

  r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--band", "std",
                           "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 10u);
  // Column order, as printed (ordered_json keeps it).
  const auto ordered = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> keys;
  for (const auto& item : ordered.at(0).items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"step", "optimizer.lr = 0.1 mean", "optimizer.lr = 0.1 -std",
                                            "optimizer.lr = 0.1 +std", "optimizer.lr = 1 mean", "optimizer.lr = 1 -std",
                                            "optimizer.lr = 1 +std"}));
  for (int k = 0; k < 10; ++k) {
    const auto& row = json[static_cast<size_t>(k)];
    const double mean = 10.0 - k + 1.0 / 3.0;
    EXPECT_NEAR(row["optimizer.lr = 0.1 -std"].get<double>(), mean - std::sqrt(7.0 / 3.0), 1e-12);
    EXPECT_NEAR(row["optimizer.lr = 0.1 +std"].get<double>(), mean + std::sqrt(7.0 / 3.0), 1e-12);
    EXPECT_TRUE(row["optimizer.lr = 1 -std"].is_null()) << "one run has no std";
  }

  // Thinning: 10 steps to 4 evenly spaced (k * 9 / 3), or every 4th and the last.
  r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--points", "4",
                           "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  rows = csv_rows(r.out);
  std::vector<std::string> steps;
  for (size_t i = 1; i < rows.size(); ++i) steps.push_back(rows[i][0]);
  EXPECT_EQ(steps, (std::vector<std::string>{"0", "3", "6", "9"}));
  r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--every", "4",
                           "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  rows = csv_rows(r.out);
  steps.clear();
  for (size_t i = 1; i < rows.size(); ++i) steps.push_back(rows[i][0]);
  EXPECT_EQ(steps, (std::vector<std::string>{"0", "4", "8", "9"}));

  // --band none: one column per run, as without groups.
  r = torchsweep_cli(dir, {"results", "curves", "--db", "repeats.db", "--by", "optimizer.lr", "--band", "none",
                           "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  rows = csv_rows(r.out);
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"step", "optimizer.lr = 0.1", "optimizer.lr = 0.1", "optimizer.lr = 0.1",
                                               "optimizer.lr = 1"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"0", "9", "10", "12", "5"}));
}

TEST(CliBandsTest, PlotDrawsBandsToPngAndSvg) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot-nox is not installed";
  TempDir dir;
  write_repeats_db(dir);
  for (const std::string ext : {"png", "svg"}) {
    const auto r = torchsweep_cli(dir, {"results", "plot", "--db", "repeats.db", "--by", "optimizer.lr", "-o",
                                        "bands." + ext});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("wrote bands." + ext), std::string::npos) << r.out;
  }
  const std::string png = read_file(dir.file("bands.png"));
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  const std::string svg = read_file(dir.file("bands.svg"));
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // The band: a translucent polygon in the first group's colour (tab10 blue), none in the second's.
  static const std::regex band(R"(<polygon[^>]*fill\s*=\s*['"]rgb\(\s*31,\s*119,\s*180\)['"][^>]*fill-opacity)");
  static const std::regex other(R"(<polygon[^>]*fill\s*=\s*['"]rgb\(\s*255,\s*127,\s*14\)['"][^>]*fill-opacity)");
  EXPECT_TRUE(std::regex_search(svg, band)) << "no band in the SVG";
  EXPECT_FALSE(std::regex_search(svg, other)) << "a group of one run has a band";
  EXPECT_NE(svg.find(">optimizer.lr = 0.1 (n=3)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">optimizer.lr = 1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">mean; shaded: min to max</text>"), std::string::npos);
  // The data next to the chart holds the band's edges: min and max at step 0.
  EXPECT_NE(read_file(dir.file("bands.dat")).find("\n0 9 12\n"), std::string::npos);

  const auto r = torchsweep_cli(dir, {"results", "plot", "--db", "repeats.db", "--by", "optimizer.lr", "--band", "std",
                                      "--points", "5", "-o", "std.svg"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string std_svg = read_file(dir.file("std.svg"));
  EXPECT_TRUE(std::regex_search(std_svg, band));
  EXPECT_NE(std_svg.find(">mean; shaded: +/- 1 std</text>"), std::string::npos);
}

TEST(CliBandsTest, BadBandAndThinningFlagsExitTwo) {
  TempDir dir;
  write_repeats_db(dir);
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--band", "foo"}, "--band: expected minmax, std or none, got \"foo\""},
      {{"--points", "0"}, "--points: expected an integer >= 2 (the first and last steps are always kept), got 0"},
      {{"--points", "1"}, "--points: expected an integer >= 2"},
      {{"--every", "0"}, "--every: expected an integer >= 1 (keep every Nth step), got 0"},
  };
  for (const auto& c : cases)
    for (const std::string command : {"curves", "plot"}) {
      std::vector<std::string> args = {"results", command, "--db", "repeats.db", "--by", "optimizer.lr"};
      if (command == "plot") args.insert(args.end(), {"-o", "bad.svg"});
      args.insert(args.end(), c.flags.begin(), c.flags.end());
      const auto r = torchsweep_cli(dir, args);
      EXPECT_EQ(r.code, 2) << command << " " << c.message << "\n" << r.err;
      // One line: the flag, what it expects and the value given.
      EXPECT_EQ(r.err.rfind(c.message, 0), 0u) << command << ": " << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
      EXPECT_EQ(r.out, "");
    }
  EXPECT_FALSE(torchsweep::path_exists(dir.file("bad.svg")));
  EXPECT_FALSE(torchsweep::path_exists(dir.file("bad.dat")));
}

}  // namespace

namespace {

TEST(CliDeviceTest, ADeviceThisMachineLacksIsBadInputNamingWhatItHas) {
  // cuda:N for N = the number of GPUs: one past the last (cuda:1 on a one-GPU host,
  // cuda:0 where there is none).
  TempDir dir;
  const int64_t count = torch::cuda::is_available() ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  const std::string device = "cuda:" + std::to_string(count);
  const auto r = torchsweep_cli(dir, {"run", kSpec, "device=" + device, "--db", dir.file("none.db")});
  EXPECT_EQ(r.code, 2) << r.err;
  const std::string expected = count == 0 ? "CUDA is not available here"
                                          : "it has " + std::to_string(count) + " CUDA device(s)";
  EXPECT_NE(r.err.find("device: expected a device this machine has, got \"" + device + "\""), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  EXPECT_FALSE(torchsweep::path_exists(dir.file("none.db")));
}

}  // namespace

namespace {

TEST(CliRerunTest, ARerunLeavesTheOriginalSweepInView) {
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "r.db"}).code, 0);
  auto r = torchsweep_cli(dir, {"rerun", "3", "--db", "r.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("results list --sweep 2 shows it"), std::string::npos) << r.out;
  auto rows = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"results", "list", "--db", "r.db", "--format", "csv"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto listed = torchsweep_cli(dir, args);
    EXPECT_EQ(listed.code, 0) << listed.err;
    return std::count(listed.out.begin(), listed.out.end(), '\n') - 1;
  };
  EXPECT_EQ(rows({}), 6) << "the latest sweep is still the six-run sweep";
  EXPECT_EQ(rows({"--sweep", "seed-backprop"}), 6);
  EXPECT_EQ(rows({"--sweep", "2"}), 1) << "the rerun, by its id";
  EXPECT_EQ(rows({"--sweep", "all"}), 7);
  r = torchsweep_cli(dir, {"results", "compare", "--db", "r.db", "--by", "optimizer.lr", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 7) << r.out;  // header + six learning rates
}

}  // namespace

namespace {

const std::string kFashionSpec = torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml";
bool have_fashion() { return access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) == 0; }

TEST(CliPlanTest, ValidatePrintsTheTrainingPlan) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  auto r = torchsweep_cli(dir, {"validate", kFashionSpec, "device=cpu"});
  ASSERT_EQ(r.code, 0) << r.err;
  // 60,000 samples in batches of 128: 469 steps an epoch; the spec's step schedule decays after epoch 12.
  EXPECT_NE(r.out.find("budget: 15 epochs of 469 batches = 7035 steps"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: every epoch: 15 in all, on the epoch axis"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("checkpoints: every epoch: 15 in all"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lr schedule step (per epoch): lr 0.01, 0.001 from epoch 12"), std::string::npos) << r.out;
  r = torchsweep_cli(dir, {"validate", kFashionSpec, "device=cpu", "~train.epochs", "train.steps=1000",
                           "train.eval_every=300 steps"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("budget: 1000 steps = 2.132 epochs of 469 batches"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: every 300 steps and at the end: 4 in all, on the step axis"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("checkpoints: at the end (step 1000)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lr 0.01, unchanged over the run"), std::string::npos) << r.out;
}

TEST(CliPlanTest, EpochMetricsAreExportedAndPlottedAgainstEpochs) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  auto r = torchsweep_cli(dir, {"run", kFashionSpec, "--db", "e.db", "device=cpu", "model=mlp", "train.epochs=2",
                                "data.train_limit=256", "data.test_limit=200", "train.threads=1"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(query(dir.file("e.db"), "SELECT group_concat(key, ' ') FROM (SELECT key FROM metric_keys WHERE axis = "
                                    "'epoch' ORDER BY position)"),
            "train/loss_epoch train/acc test/loss test/acc lr train/steps");
  r = torchsweep_cli(dir, {"results", "export", "1", "--db", "e.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  // 256 samples: 2 steps an epoch, train/loss every 10 steps (steps 0 and 3, the last).
  std::istringstream lines(r.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.substr(0, 22), "step,epoch,train/loss,");
  std::vector<std::string> starts;
  while (std::getline(lines, line)) starts.push_back(line.substr(0, line.find(',', line.find(',') + 1)));
  EXPECT_EQ(starts, (std::vector<std::string>{"0,", "2,1", "3,", "4,2"}));
  r = torchsweep_cli(dir, {"results", "curves", "--db", "e.db", "--metric", "test/acc", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 6), "epoch,");
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return;
  r = torchsweep_cli(dir, {"results", "plot", "--db", "e.db", "--metric", "test/acc", "-o", "acc.svg"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string script = read_file(dir.file("acc.gp"));
  EXPECT_NE(script.find("set xlabel 'epoch'"), std::string::npos) << script;
  EXPECT_NE(script.find("set xtics 1"), std::string::npos) << script;
}

}  // namespace

namespace {

TEST(CliWorkersTest, WorkersOnATerminalShareOneBoardAndNeverInterleave) {
  SKIP_WITHOUT_SCRIPT();
  TempDir dir;
  std::string screen;
  ASSERT_NO_FATAL_FAILURE(run_on_terminal(dir, 80, "--db w.db --workers 2 train.steps=2000", &screen));
  EXPECT_NE(screen.find("\x1b[2A\r\x1b[J"), std::string::npos) << "two status lines redrawn in place";
  EXPECT_NE(screen.find("6 finished, 0 diverged, 0 failed"), std::string::npos) << screen;
  // Every line the terminal shows belongs to one worker at most, and fits in 80 columns.
  std::istringstream lines(screen_text(screen));
  int status_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("\r", 0) == 0) line.erase(0, 1);
    size_t workers = 0;
    for (size_t at = line.find("[worker "); at != std::string::npos; at = line.find("[worker ", at + 1)) ++workers;
    EXPECT_LE(workers, 1u) << line;
    if (line.find("ETA") != std::string::npos) {
      ++status_lines;
      EXPECT_LT(line.size(), 80u) << line;
    }
  }
  EXPECT_GT(status_lines, 0);
  EXPECT_EQ(query(dir.file("w.db"), "SELECT count(*) FROM runs WHERE status = 'finished'"), "6");
}

}  // namespace

namespace {

TEST(CliCommandsTest, AMistypedCommandIsNamedWithTheClosestOne) {
  TempDir dir;
  const auto run = torchsweep_cli(dir, {"rnu", kSpec});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("torchsweep: unknown command 'rnu', did you mean 'run'?"), std::string::npos) << run.err;
  const auto list = torchsweep_cli(dir, {"results", "lsit"});
  EXPECT_EQ(list.code, 2);
  EXPECT_NE(list.err.find("torchsweep results: unknown command 'lsit', did you mean 'list'?"), std::string::npos)
      << list.err;
  EXPECT_NE(list.err.find("expected one of: list, sweeps, rungs, compare"), std::string::npos) << list.err;
}

TEST(CliCommandsTest, TheCompletionScriptCompletesCommandsAndFlags) {
  TempDir dir;
  const auto script = torchsweep_cli(dir, {"completion", "bash"});
  ASSERT_EQ(script.code, 0) << script.err;
  std::ofstream(dir.file("completion.bash")) << script.out;
  // What bash's completion would offer after the words typed so far.
  auto offered = [&](const std::string& words, int cword) {
    const std::string command = "bash -c " + shell_quote("source " + dir.file("completion.bash") + "; COMP_WORDS=(" +
                                                         words + "); COMP_CWORD=" + std::to_string(cword) +
                                                         "; _torchsweep; echo \"${COMPREPLY[*]}\"") +
                                " > " + shell_quote(dir.file("offered.txt"));
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::string out = read_file(dir.file("offered.txt"));
    return out.substr(0, out.find('\n'));
  };
  EXPECT_EQ(offered("torchsweep ru", 1), "run");
  EXPECT_EQ(offered("torchsweep results l", 2), "list");
  EXPECT_EQ(offered("torchsweep results sw", 2), "sweeps");
  EXPECT_EQ(offered("torchsweep results list --whe", 3), "--where");
  EXPECT_EQ(offered("torchsweep run spec.yaml --work", 3), "--workers");
  const auto zsh = torchsweep_cli(dir, {"completion", "zsh"});
  EXPECT_EQ(zsh.code, 0);
  EXPECT_EQ(zsh.out.rfind("autoload -U +X bashcompinit && bashcompinit\n", 0), 0u);
  EXPECT_EQ(torchsweep_cli(dir, {"completion", "fish"}).code, 2);
}

TEST(CliCommandsTest, QuietPrintsOnlyTheSummaryAlsoFromWorkers) {
  TempDir dir;
  const auto alone = torchsweep_cli(dir, {"run", kSpec, "train.steps=50", "--quiet", "--db", "a.db"});
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_EQ(alone.out, "6 finished, 0 diverged, 0 failed\n");
  const auto workers =
      torchsweep_cli(dir, {"run", kSpec, "train.steps=50", "sweep.fuse=off", "--workers", "2", "-q", "--db", "w.db"});
  ASSERT_EQ(workers.code, 0) << workers.err;
  EXPECT_EQ(workers.out, "6 finished, 0 diverged, 0 failed\n");
  EXPECT_EQ(workers.err, "");
  EXPECT_EQ(query(dir.file("w.db"), "SELECT count(*) FROM metrics WHERE key = 'train/loss'"), "300");
}

TEST(CliCommandsTest, WorkersAreCappedAtTheRunsToDoAndGpusNeedCuda) {
  TempDir dir;
  const auto many = torchsweep_cli(dir, {"run", kSpec, "train.steps=20", "--workers", "50", "--db", "w.db"});
  ASSERT_EQ(many.code, 0) << many.err;
  EXPECT_NE(many.out.find("6 worker processes"), std::string::npos) << many.out;
  EXPECT_NE(many.out.find("6 finished, 0 diverged, 0 failed"), std::string::npos) << many.out;
  if (!torch::cuda::is_available()) {
    const auto gpus = torchsweep_cli(dir, {"run", kSpec, "--gpus", "0,1", "--db", "g.db"});
    EXPECT_EQ(gpus.code, 2);
    EXPECT_NE(gpus.err.find("--gpus 0,1: this machine has no CUDA device"), std::string::npos) << gpus.err;
    EXPECT_NE(access(dir.file("g.db").c_str(), F_OK), 0) << "refused before the database was created";
  }
}

TEST(CliAnnotateTest, TagSweepsAndDeleteWithItsArtifacts) {
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "seed.db"}).code, 0);
  const auto db = dir.file("seed.db");
  const auto tag = torchsweep_cli(dir, {"results", "tag", "3", "best", "lr-1", "--note", "steepest", "--db", "seed.db"});
  ASSERT_EQ(tag.code, 0) << tag.err;
  EXPECT_EQ(tag.out, "run 3: tags: best, lr-1\n");
  const auto listed = torchsweep_cli(dir, {"results", "list", "--where", "tags like '%best%'", "--format", "csv",
                                           "--db", "seed.db"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 2) << listed.out;  // header and run 3
  EXPECT_EQ(listed.out.find("\n3,"), listed.out.find('\n')) << listed.out;
  EXPECT_EQ(query(db, "SELECT note FROM runs WHERE id = 3"), "steepest");
  EXPECT_EQ(torchsweep_cli(dir, {"results", "tag", "3", "a,b", "--db", "seed.db"}).code, 2);

  const auto sweeps = torchsweep_cli(dir, {"results", "sweeps", "--format", "csv", "--db", "seed.db"});
  ASSERT_EQ(sweeps.code, 0) << sweeps.err;
  EXPECT_NE(sweeps.out.find("sweep,name,mode,launcher,created,runs,pending,running,paused,finished,stopped,diverged,"
                            "failed,interrupted,"),
            std::string::npos)
      << sweeps.out;
  EXPECT_NE(sweeps.out.find(",6,0,0,0,6,0,0,0,0,"), std::string::npos) << sweeps.out;

  std::string folder = query(db, "SELECT artifact_dir FROM runs WHERE id = 2");
  ASSERT_FALSE(folder.empty());
  if (folder[0] != '/') folder = dir.file(folder);  // relative to where torchsweep ran
  ASSERT_EQ(access(folder.c_str(), F_OK), 0) << folder;
  // Off a terminal nothing is deleted without --yes; unknown runs are refused.
  const auto asked = torchsweep_cli(dir, {"results", "delete", "2", "--db", "seed.db"});
  EXPECT_EQ(asked.code, 2);
  EXPECT_NE(asked.err.find("pass --yes"), std::string::npos) << asked.err;
  EXPECT_EQ(torchsweep_cli(dir, {"results", "delete", "99", "--yes", "--db", "seed.db"}).code, 2);
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs"), "6");
  const auto deleted = torchsweep_cli(dir, {"results", "delete", "2", "--yes", "--db", "seed.db"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deleted 1 run(s) and 1 artifact folder(s)\n");
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs"), "5");
  EXPECT_EQ(query(db, "SELECT count(*) FROM metrics WHERE run_id = 2"), "0");
  EXPECT_NE(access(folder.c_str(), F_OK), 0) << "the artifact folder went with the run";
  EXPECT_EQ(torchsweep_cli(dir, {"results", "delete", "--sweep", "all", "-y", "--db", "seed.db"}).code, 0);
  EXPECT_EQ(query(db, "SELECT count(*) FROM runs") + query(db, "SELECT count(*) FROM sweeps"), "00");
  EXPECT_EQ(torchsweep_cli(dir, {"results", "tag", "1", "x", "--db", "missing.db"}).code, 2);
  EXPECT_NE(access(dir.file("missing.db").c_str(), F_OK), 0) << "a database is never created by tag";
}

TEST(CliAnnotateTest, AnOlderDatabaseIsReadAfterResultsUpgrade) {
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "seed.db"}).code, 0);
  const auto db = dir.file("seed.db");
  // Back to schema 11 as that torchsweep wrote it: no packed curves, no lane groups, no
  // recorded memory format.
  {
    torchsweep::Database raw(db, torchsweep::Database::Mode::ReadWrite);
    torchsweep::testing::roll_back_schema(raw, 11);
  }
  const auto refused = torchsweep_cli(dir, {"results", "curves", "--metric", "train/loss", "--db", "seed.db"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("results schema version 11, this build reads " +
                             std::to_string(torchsweep::kSchemaVersion) +
                             " (upgrade it once: torchsweep results upgrade --db seed.db)"),
            std::string::npos)
      << refused.err;
  const auto upgraded = torchsweep_cli(dir, {"results", "upgrade", "--db", "seed.db"});
  ASSERT_EQ(upgraded.code, 0) << upgraded.err;
  EXPECT_EQ(upgraded.out, "seed.db: upgraded from schema 11 to " + std::to_string(torchsweep::kSchemaVersion) + "\n");
  // Every run's curves were packed, one pack per metric with all its points.
  EXPECT_EQ(query(db, "SELECT count(*) FROM metric_packs"), query(db, "SELECT count(*) FROM summaries"));
  EXPECT_EQ(query(db, "SELECT sum(count) FROM metric_packs"), query(db, "SELECT count(*) FROM metrics"));
  EXPECT_EQ(torchsweep_cli(dir, {"results", "curves", "--metric", "train/loss", "--db", "seed.db"}).code, 0);
  const auto again = torchsweep_cli(dir, {"results", "upgrade", "--db", "seed.db"});
  EXPECT_EQ(again.out, "seed.db: schema " + std::to_string(torchsweep::kSchemaVersion) + ", already this torchsweep's\n");
  EXPECT_EQ(torchsweep_cli(dir, {"results", "upgrade", "--db", "missing.db"}).code, 2);
  EXPECT_NE(access(dir.file("missing.db").c_str(), F_OK), 0) << "a database is never created by upgrade";
}

TEST(CliLaneGroupTest, ALaneGroupIsRecordedAsItsRunsWouldBeAlone) {
  TempDir dir;
  const auto grouped = torchsweep_cli(dir, {"run", kSpec, "train.steps=200", "sweep.fuse=on", "--db", "grouped.db"});
  ASSERT_EQ(grouped.code, 0) << grouped.out << grouped.err;
  const auto alone = torchsweep_cli(dir, {"run", kSpec, "train.steps=200", "sweep.fuse=off", "--db", "alone.db"});
  ASSERT_EQ(alone.code, 0) << alone.out << alone.err;
  // Each run reports on its own line, in a group or not.
  for (const char* lr : {"optimizer.lr=0.1", "optimizer.lr=2 "}) EXPECT_NE(grouped.out.find(lr), std::string::npos);
  // The same runs (ids, hashes, statuses, steps), the same metric keys in the same
  // positions, and every value the same to the twelfth digit.
  const std::string runs = "SELECT group_concat(id || run_index || config_hash || status || steps, ',') FROM runs";
  EXPECT_EQ(query(dir.file("grouped.db"), runs), query(dir.file("alone.db"), runs));
  const std::string keys = "SELECT group_concat(run_id || key || position || axis, ',') FROM metric_keys";
  EXPECT_EQ(query(dir.file("grouped.db"), keys), query(dir.file("alone.db"), keys));
  EXPECT_EQ(query(dir.file("grouped.db"), "SELECT count(*) FROM metrics"), "37200");  // 6 runs x 200 steps x 31
  // The six runs were one lane group, numbered by its first run; alone, none was.
  EXPECT_EQ(query(dir.file("grouped.db"), "SELECT group_concat(DISTINCT lane_group) || ' ' || count(lane_group) FROM runs"),
            "1 6");
  EXPECT_EQ(query(dir.file("alone.db"), "SELECT count(lane_group) FROM runs"), "0");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.file("grouped.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("ATTACH DATABASE '" + dir.file("alone.db") + "' AS alone").c_str(), nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT count(*), max(abs(f.value - a.value) / max(1.0, abs(a.value))) FROM metrics f "
                               "JOIN alone.metrics a USING (run_id, key, step)",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 37200);
  EXPECT_LT(sqlite3_column_double(stmt, 1), 1e-12);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

/// Every metric point a database records, as "run key@step=value" with the value's
/// exact bits (%a), in run, key and step order.
std::vector<std::string> exact_metric_points(const std::string& db_path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT run_id, key, step, value FROM metrics ORDER BY run_id, key, step", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  std::vector<std::string> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    char value[40] = "null";
    if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) std::snprintf(value, sizeof value, "%a", sqlite3_column_double(stmt, 3));
    out.push_back(std::to_string(sqlite3_column_int64(stmt, 0)) + " " +
                  reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)) + "@" +
                  std::to_string(sqlite3_column_int64(stmt, 2)) + "=" + value);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(CliLaneGroupTest, EveryBuiltInModelInALaneGroupOnTheCpuRecordsItsRunsAloneBitForBit) {
  const std::string fashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  if (access(fashion.c_str(), R_OK) != 0) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  TempDir dir;
  // A sequential model with both kinds of dropout and batch norm.
  {
    std::ofstream spec(dir.file("sequential.yaml"));
    spec << "name: lanes-sequential\nseed: 4\ndevice: cpu\n"
            "model:\n  name: sequential\n  input: [1, 28, 28]\n  layers:\n"
            "    - conv2d: {out: 6, kernel: 5}\n    - relu\n    - batchnorm2d\n    - dropout2d: {p: 0.3}\n"
            "    - maxpool2d: {kernel: 2}\n    - flatten\n    - dropout: {p: 0.4}\n    - linear: {out: 32}\n"
            "    - batchnorm1d\n    - tanh\n    - dropout: {p: 0.2}\n    - linear: {out: 10}\n    - log_softmax\n"
            "data: {name: idx, root: /usr/share/datasets/fashion-mnist, batch_size: 32, train_limit: 256, "
            "test_limit: 64}\nloss: nll\noptimizer: {name: sgd, lr: 0.01, momentum: 0.9}\n"
            "train: {steps: 4, log_every: 1}\n";
  }
  const std::string fm = torchsweep::testing::source_dir() + "/experiments/s6_fashion_mnist.yaml";
  const std::vector<std::string> small = {"device=cpu", "~train.epochs", "~scheduler", "train.steps=4",
                                          "train.log_every=1", "data.batch_size=32", "data.train_limit=256",
                                          "data.test_limit=64"};
  struct Case {
    std::string model, spec;
    std::vector<std::string> overrides;
    std::string layout;  ///< train.memory_format's default on the CPU: channels_last where there are convolutions
  };
  const std::vector<Case> cases = {
      {"backprop_2x2x2", kSpec, {"device=cpu", "train.steps=20", "optimizer.momentum=0.5"}, "contiguous"},
      {"s6_cnn", fm, {"model.dropout=0.3"}, "channels_last"},
      {"mlp", fm, {"model=mlp"}, "contiguous"},
      {"lenet5", fm, {"model=lenet5"}, "channels_last"},
      {"sequential", dir.file("sequential.yaml"), {}, "channels_last"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", c.spec};
    if (c.spec == fm) args.insert(args.end(), small.begin(), small.end());
    args.insert(args.end(), c.overrides.begin(), c.overrides.end());
    args.push_back("optimizer.lr=0.003,0.01,0.03");
    auto with = [&](const std::vector<std::string>& more) {
      auto a = args;
      a.insert(a.end(), more.begin(), more.end());
      return a;
    };
    const std::string by_default = c.model + "-on.db", alone = c.model + "-off.db";
    const auto grouped = torchsweep_cli(dir, with({"sweep.fuse=on", "-q", "--db", by_default}));
    ASSERT_EQ(grouped.code, 0) << c.model << ": " << grouped.out << grouped.err;
    const auto off = torchsweep_cli(dir, with({"sweep.fuse=off", "-q", "--db", alone}));
    ASSERT_EQ(off.code, 0) << c.model << ": " << off.out << off.err;
    // The three runs really were one lane group, and every point is the run alone's.
    EXPECT_EQ(query(dir.file(by_default), "SELECT group_concat(lane_group) FROM runs"), "1,1,1") << c.model;
    EXPECT_EQ(query(dir.file(alone), "SELECT count(lane_group) FROM runs"), "0") << c.model;
    const std::string layouts = c.layout + "," + c.layout + "," + c.layout;
    EXPECT_EQ(query(dir.file(by_default), "SELECT group_concat(memory_format) FROM runs"), layouts) << c.model;
    EXPECT_EQ(query(dir.file(alone), "SELECT group_concat(memory_format) FROM runs"), layouts) << c.model;
    const auto a = exact_metric_points(dir.file(by_default)), b = exact_metric_points(dir.file(alone));
    EXPECT_GE(a.size(), 18u) << c.model;  // 3 runs x (4 losses + a test loss and accuracy) at least
    EXPECT_EQ(a, b) << c.model;
  }
}

}  // namespace

namespace {

/// torchsweep_cli with `runner` before the program (another user: setpriv's options).
CommandResult torchsweep_cli_by(const TempDir& dir, const std::string& runner, const std::vector<std::string>& args) {
  std::string command =
      "cd " + shell_quote(dir.path()) + " && env -u TORCHSWEEP_DB " + runner + " " + TORCHSWEEP_BINARY;
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " >" + shell_quote(dir.file("stdout.txt")) + " 2>" + shell_quote(dir.file("stderr.txt"));
  const int status = std::system(command.c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir.file("stdout.txt"));
  r.err = read_file(dir.file("stderr.txt"));
  return r;
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
}

/// The names in `folder` that start with `prefix`.
std::vector<std::string> files_of(const std::string& folder, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& name : torchsweep::list_directory(folder))
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  return out;
}

TEST_F(CliTest, ReadOnlyCommandsLeaveNoFileBesideTheDatabaseAndWorkWhereNothingCanBeWritten) {
  // Its writer has ended, so the file holds every commit (readers of the suite may have
  // left an empty -wal beside it): a copy of the file alone is the whole database.
  ASSERT_TRUE(!torchsweep::path_exists(db() + "-wal") || torchsweep::file_size(db() + "-wal") == 0);
  TempDir dir;
  const std::string folder = dir.file("ro"), path = dir.file("ro/seed.db");
  torchsweep::create_directories(folder);
  copy_file(db(), path);
  const std::vector<std::vector<std::string>> commands = {
      {"results", "list"},   {"results", "sweeps"},          {"results", "show", "1"},
      {"results", "export", "1"}, {"results", "compare", "--by", "optimizer.lr"},
      {"results", "curves", "--by", "optimizer.lr"},         {"status"},
      {"results", "sql", "SELECT count(*) FROM runs"}};
  auto check_all = [&](const std::string& runner, const std::string& where) {
    for (auto args : commands) {
      args.insert(args.end(), {"--db", path});
      const auto r = torchsweep_cli_by(dir, runner, args);
      EXPECT_EQ(r.code, 0) << where << ": " << args[0] << " " << args[1] << "\n" << r.err;
      EXPECT_FALSE(r.out.empty()) << where << ": " << args[0] << " " << args[1];
      EXPECT_EQ(torchsweep::list_directory(folder), std::vector<std::string>{"seed.db"})
          << where << ": " << args[0] << " " << args[1] << " left files beside the database";
    }
  };
  // Root writes through permission bits, so what is checked first is that nothing is
  // written at all: no -wal, no -shm.
  ASSERT_EQ(chmod(folder.c_str(), 0555), 0);
  check_all("", "a read-only folder");
  ASSERT_EQ(chmod(folder.c_str(), 0755), 0);
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  check_all("", "a read-only file");
  // Where permission bits hold: the same commands as a user who may write nothing there.
  if (geteuid() == 0 && std::system("command -v setpriv >/dev/null 2>&1") == 0) {
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    ASSERT_EQ(chmod(folder.c_str(), 0555), 0);
    check_all("setpriv --reuid=65534 --regid=65534 --clear-groups", "as nobody, a read-only folder and file");
  }
  chmod(folder.c_str(), 0755);
}

TEST_F(CliTest, AReadWhileAWriterHasTheDatabaseOpenSeesItsLatestChanges) {
  TempDir dir;
  copy_file(db(), dir.file("w.db"));
  // A writer that keeps its connection: its change is in the -wal, not yet in the file.
  auto writer = torchsweep::Store::open(dir.file("w.db"));
  writer->db().exec("UPDATE runs SET status = 'failed' WHERE id = 1");
  const auto files = files_of(dir.path(), "w.db");
  ASSERT_EQ(files, (std::vector<std::string>{"w.db", "w.db-shm", "w.db-wal"}));
  const auto r = torchsweep_cli(dir, {"status", "--db", "w.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("5 finished, 1 failed"), std::string::npos) << r.out;
  EXPECT_EQ(files_of(dir.path(), "w.db"), files);
}

TEST(CliStatusTest, RunsOfASweepKilledWithSigkillAreShownStaleWithTheCommandThatContinuesThem) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  std::vector<std::string> args = {TORCHSWEEP_BINARY, "run", kSpec, "train.steps=5000000", "--db", path};
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout)) _exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (poll_value(path, "SELECT count(*) FROM runs WHERE status = 'running'").empty() ||
         poll_value(path, "SELECT count(*) FROM runs WHERE status = 'running'") == "0") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no run started";
    usleep(20000);
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::string running = poll_value(path, "SELECT count(*) FROM runs WHERE status = 'running'");
  ASSERT_NE(running, "0") << "the runs ended before they could be killed";
  ASSERT_EQ(poll_value(path, "SELECT DISTINCT pid FROM runs WHERE status = 'running'"), std::to_string(pid));

  const auto r = torchsweep_cli(dir, {"status", "--db", "k.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string counts = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(counts.find(", " + running + " stale"), std::string::npos) << r.out;
  EXPECT_EQ(counts.find("running"), std::string::npos) << "the database's `running` is not what status says: " << r.out;
  EXPECT_NE(r.out.find(running + " run(s) stale: recorded running, but their process ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" pid " + std::to_string(pid) + ") is gone"), std::string::npos) << r.out;
  const std::string hint = "continue them with: torchsweep run " + kSpec + " train.steps=5000000 --db k.db\n";
  EXPECT_NE(r.out.find(hint), std::string::npos) << r.out;
  // Every run shown stale in the table too.
  std::istringstream lines(r.out);
  int stale_rows = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.find(" stale ") != std::string::npos && line.find(std::to_string(pid)) != std::string::npos) ++stale_rows;
  EXPECT_EQ(std::to_string(stale_rows), running) << r.out;
}

TEST(CliCommandsTest, AnUnknownFlagIsNamedWithItsCommandAndTheClosestFlag) {
  TempDir dir;
  auto r = torchsweep_cli(dir, {"results", "list", "--formt", "csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "torchsweep results list: unknown flag '--formt', did you mean '--format'? (torchsweep results list --help "
            "lists what it takes)\n");
  r = torchsweep_cli(dir, {"run", kSpec, "--wokers", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("torchsweep run: unknown flag '--wokers', did you mean '--workers'?", 0), 0u) << r.err;
  r = torchsweep_cli(dir, {"status", "--sweeps=3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("torchsweep status: unknown flag '--sweeps'", 0), 0u) << r.err;
  r = torchsweep_cli(dir, {"results", "sweeps", "extra"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("torchsweep results sweeps: unexpected argument 'extra'", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find("were not expected"), std::string::npos) << r.err;
}

TEST(CliCommandsTest, ADatabaseInAFolderThatDoesNotExistIsBadInputSaidOnce) {
  TempDir dir;
  const auto r = torchsweep_cli(dir, {"run", kSpec, "--db", "missing-folder/x.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "--db missing-folder/x.db: the folder missing-folder does not exist (create it first)\n");
  EXPECT_FALSE(torchsweep::path_exists(dir.file("missing-folder")));
}

TEST(CliTrustTest, CompareSaysWhenGroupsPoolOtherParametersAndFitsOneHundredColumns) {
  // The same six rates without and with momentum 0.9: compared by rate over both sweeps,
  // each rate's two runs differ in momentum, not only in their seeds.
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "p.db", "train.steps=5"}).code, 0);
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "p.db", "train.steps=5", "optimizer.momentum=0.9"}).code, 0);
  auto r = torchsweep_cli(dir, {"results", "compare", "--by", "optimizer.lr", "--sweep", "all", "--at", "1,4", "--db",
                                "p.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("results compare: 6 group(s) pool runs that differ in more than their seeds:"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  optimizer.lr = 0.1 (n=2): optimizer.momentum 0, 0.9\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("to tell them apart: --by optimizer.lr,optimizer.momentum\n"), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  size_t rows = 0;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 100u) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 2u + 6u) << r.out;
  EXPECT_NE(r.out.find("last_mean"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("@4"), std::string::npos) << "the steps asked for fit" << r.out;
  // --wide and csv keep every column.
  r = torchsweep_cli(dir, {"results", "compare", "--by", "optimizer.lr", "--sweep", "all", "--wide", "--db", "p.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("half_at"), std::string::npos) << r.out;
  r = torchsweep_cli(dir, {"results", "compare", "--by", "optimizer.lr", "--sweep", "all", "--format", "csv", "--db",
                           "p.db"});
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "optimizer.lr,n,train/loss@first,last,min,half_at,last_step,last_mean,last_std,best");
  // Grouped by both, nothing is pooled and nothing is said.
  r = torchsweep_cli(dir, {"results", "compare", "--by", "optimizer.lr,optimizer.momentum", "--sweep", "all", "--db",
                           "p.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2 + 12) << r.out;
  // curves and plot group the same way and say the same.
  r = torchsweep_cli(dir, {"results", "curves", "--by", "optimizer.lr", "--sweep", "all", "--format", "csv", "--db",
                           "p.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("results curves: 6 group(s) pool runs"), std::string::npos) << r.err;
  // Repeats of one configuration are not pooling.
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "p.db", "train.steps=5", "optimizer.lr=0.1",
                                 "sweep={repeats: 3}"}).code, 0);
  r = torchsweep_cli(dir, {"results", "compare", "--by", "optimizer.lr", "--db", "p.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("  3  "), std::string::npos) << "n=3" << r.out;
}

/// The most significant digits of any decimal number in the text (0.0137965: 6).
size_t most_significant_digits(const std::string& text) {
  static const std::regex number("[0-9]+\\.[0-9]+");
  size_t most = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it) {
    std::string digits;
    for (const char c : it->str())
      if (c != '.') digits += c;
    most = std::max(most, digits.size() - std::min(digits.size(), digits.find_first_not_of('0')));
  }
  return most;
}

TEST(CliTrustTest, RunLinesListAndSweepsShowNumbersOneWay) {
  TempDir dir;
  auto r = torchsweep_cli(dir, {"run", kSpec, "--db", "n.db", "train.steps=3", "optimizer.lr=0.23862864348220497,1000.0"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // Six significant digits at most, 1000 as list shows it, no nan with a sign, and no
  // time with nine decimals.
  EXPECT_NE(r.out.find("optimizer.lr=0.238629"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("optimizer.lr=1000"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("1000.0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("-nan"), std::string::npos) << r.out;
  EXPECT_LE(most_significant_digits(r.out), 6u) << r.out;
  r = torchsweep_cli(dir, {"results", "list", "--db", "n.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0.238629"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 1000 "), std::string::npos) << r.out;
  EXPECT_LE(most_significant_digits(r.out), 6u) << r.out;
  // Two sweeps of one spec told apart by their overrides.
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "n.db", "train.steps=3", "optimizer.momentum=0.9"}).code, 0);
  r = torchsweep_cli(dir, {"results", "sweeps", "--db", "n.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("train.steps=3 optimizer.lr=0.23862864348220497,1000.0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train.steps=3 optimizer.momentum=0.9\n"), std::string::npos) << r.out;
}

TEST(CliTrustTest, RunIdsCountsAndNotesAreCheckedWithOneLineThatSaysWhatIsExpected) {
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "c.db", "train.steps=2"}).code, 0);
  auto refused = [&](const std::vector<std::string>& args, const std::string& says) {
    const auto r = torchsweep_cli(dir, args);
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_LT(r.err.size(), 200u) << r.err;
  };
  refused({"results", "tag", "abc", "best", "--db", "c.db"}, "run: expected a run id, a positive integer, got 'abc'");
  refused({"results", "tag", "0", "best", "--db", "c.db"}, "run: expected a run id, a positive integer, got '0'");
  refused({"results", "show", "1x", "--db", "c.db"}, "got '1x'");
  refused({"results", "export", "-3", "--db", "c.db"}, "got '-3'");
  refused({"results", "delete", "2", "abc", "--yes", "--db", "c.db"}, "got 'abc'");
  refused({"rerun", "abc", "--db", "c.db"}, "run: expected a run id, a positive integer, got 'abc'");
  refused({"results", "sql", "SELECT 1", "--limit", "-1", "--db", "c.db"},
          "--limit: expected a number of rows, 0 or more, got '-1'");
  refused({"results", "sql", "SELECT 1", "--timeout", "-5", "--db", "c.db"},
          "--timeout: expected a number of seconds, 0 or more, got '-5'");
  // Other commands' counts say it the same way (not a range whose end has 300 digits).
  refused({"worker", "--width", "-1", "--db", "c.db"}, "--width: expected a number of columns, 0 or more, got '-1'");
  // A note or tag that is not UTF-8 is refused as a spec's text is, and nothing is written.
  refused({"results", "tag", "1", "fine", "--note", "ab\xff", "--db", "c.db"},
          "--note \"ab\\xFF\": invalid UTF-8 (byte 0xFF) at character 3");
  refused({"results", "tag", "1", "b\xff", "--db", "c.db"}, "invalid UTF-8 (byte 0xFF)");
  EXPECT_EQ(query(dir.file("c.db"), "SELECT count(*) FROM run_tags"), "0");
  EXPECT_EQ(query(dir.file("c.db"), "SELECT count(*) FROM runs WHERE note IS NOT NULL"), "0");
  EXPECT_EQ(torchsweep_cli(dir, {"results", "sql", "SELECT 1", "--limit", "0", "--db", "c.db"}).code, 0);
}

TEST(CliTrustTest, PlotTitlesItsRunsGivesElevenGroupsTheirOwnStyleAndScansAParameter) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot-nox is not installed";
  TempDir dir;
  ASSERT_EQ(torchsweep_cli(dir, {"run", kSpec, "--db", "s.db", "train.steps=4", "optimizer.momentum=0.5",
                                 "optimizer.lr=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,2.2"}).code, 0);
  auto r = torchsweep_cli(dir, {"results", "plot", "--by", "optimizer.lr", "-o", "lr.svg", "--db", "s.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string script = read_file(dir.file("lr.gp"));
  // The title names the sweep and the value chosen for all its runs.
  EXPECT_NE(script.find("set title \"train/loss - seed-backprop (sweep 1)\\noptimizer.momentum=0.5  train.steps=4\""),
            std::string::npos) << script;
  // lr = 0.1 and lr = 2.2 (the 1st and 11th groups) share a colour, not a dash type.
  EXPECT_NE(script.find("lw 2 lc rgb '#1f77b4' title 'optimizer.lr = 0.1'"), std::string::npos) << script;
  EXPECT_NE(script.find("dt 2 lc rgb '#1f77b4' title 'optimizer.lr = 2.2'"), std::string::npos) << script;
  // The search's picture: the last loss against the rate, on a log axis (0.1 to 2.2).
  r = torchsweep_cli(dir, {"results", "plot", "--x", "optimizer.lr", "-o", "scan.png", "--db", "s.db"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(dir.file("scan.png")).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const std::string scan = read_file(dir.file("scan.gp"));
  EXPECT_NE(scan.find("set logscale x"), std::string::npos) << scan;
  EXPECT_NE(scan.find("set title \"train/loss (last) - seed-backprop (sweep 1)"), std::string::npos) << scan;
  EXPECT_NE(scan.find("title 'runs (11 runs)'"), std::string::npos) << scan;
  r = torchsweep_cli(dir, {"results", "plot", "--x", "optimizer.lr", "--summary", "median", "-o", "s.png", "--db", "s.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--summary: expected last, min, max or mean_last_k, got \"median\""), std::string::npos) << r.err;
  r = torchsweep_cli(dir, {"results", "plot", "--x", "optimizer.lr", "--band", "std", "-o", "s.png", "--db", "s.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--band: applies to curves; --x draws one point per run"), std::string::npos) << r.err;
}

}  // namespace

namespace {

TEST(CliWorkersTest, AWorkerTrainingALaneGroupShowsOneStatusLineNamingItsRuns) {
  SKIP_WITHOUT_SCRIPT();
  TempDir dir;
  std::string screen;
  ASSERT_NO_FATAL_FAILURE(run_on_terminal(dir, 100, "--db f.db --workers 2 sweep.fuse=on train.steps=3000", &screen));
  ASSERT_EQ(query(dir.file("f.db"), "SELECT count(DISTINCT lane_group) || ' ' || count(lane_group) FROM runs"), "1 6")
      << screen;
  // The six runs are one lane group, which the two workers share: each trains three of
  // them together, and its status line names those runs and places ("runs 1-3 [1-3/6]
  // (3 lanes)", or "runs 1,3-4 ..." when the workers' claims interleave), never one
  // lane's run alone ("run 3 [3/6]").
  std::istringstream lines(screen_text(screen));
  const std::regex group_label("\\[worker [12]\\] runs [0-9,-]+ \\[[0-9,-]+/6\\] \\(3 lanes\\)  ");
  int status_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("ETA") == std::string::npos) continue;
    ++status_lines;
    EXPECT_TRUE(std::regex_search(line, group_label)) << line;
  }
  EXPECT_GT(status_lines, 0) << screen;
  // Each run's own end line keeps its label.
  for (int run = 1; run <= 6; ++run)
    EXPECT_NE(screen.find("run " + std::to_string(run) + " [" + std::to_string(run) + "/6]"), std::string::npos);
}

}  // namespace

namespace {

/// Issue 24: an adaptive sweep's record as a user reads it: status counts stopped and
/// paused runs and prints the rule and its rungs; results rungs, list --where, show,
/// curves and compare (without the lr-find) from the same file
/// (tests/results/adaptive_fixture.h says what it holds).
TEST(CliAdaptiveTest, StatusAndResultsShowStoppedRunsAndTheRungs) {
  TempDir dir;
  torchsweep::testing::adaptive::AdaptiveSweep made;
  {
    auto store = torchsweep::Store::open(dir.file("a.db"));
    made = torchsweep::testing::adaptive::write_adaptive_sweep(*store);
  }
  const auto& r = made.runs;
  auto id = [&](size_t i) { return std::to_string(r[i]); };
  auto status = torchsweep_cli(dir, {"status", "--db", "a.db"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("'asha' (local, "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("): 6 run(s), 1 paused, 1 finished, 4 stopped\n"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("early stopping: asha on test/loss (minimize, per epoch), eta 3, min_resource 1\n"
                            "  rung 0 at epoch 1: 6 reached, 2 promoted, 3 stopped, 1 paused, cutoff 0.45, best 0.4\n"
                            "  rung 1 at epoch 3: 2 reached, 0 promoted, 1 stopped, cutoff 0.3, best 0.3\n"),
            std::string::npos)
      << status.out;
  // The paused run is among the runs in progress.
  bool paused_shown = false;
  {
    std::istringstream status_lines(status.out);
    std::string row;
    while (std::getline(status_lines, row)) {
      const size_t start = row.find_first_not_of(' ');  // the run column is right-aligned
      paused_shown = paused_shown || (start != std::string::npos && row.compare(start, id(5).size() + 1, id(5) + " ") == 0 &&
                                      row.find(" paused ") != std::string::npos);
    }
  }
  EXPECT_TRUE(paused_shown) << status.out;

  auto rungs = torchsweep_cli(dir, {"results", "rungs", "--db", "a.db", "--format", "csv"});
  ASSERT_EQ(rungs.code, 0) << rungs.err;
  EXPECT_EQ(rungs.out, "rung,axis,at,reached,promoted,stopped,paused,cutoff,best,promoted_runs,stopped_runs\n"
                       "0,epoch,1,6,2,3,1,0.45,0.4,\"" + id(1) + "," + id(3) + "\",\"" + id(0) + "," + id(2) + "," +
                           id(4) + "\"\n"
                       "1,epoch,3,2,0,1,0,0.3,0.3,," + id(1) + "\n");

  auto stopped = torchsweep_cli(dir, {"results", "list", "--db", "a.db", "--where", "status = stopped", "--format",
                                      "csv"});
  ASSERT_EQ(stopped.code, 0) << stopped.err;
  std::vector<std::string> listed;
  std::istringstream lines(stopped.out);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) listed.push_back(line.substr(0, line.find(',')));
  EXPECT_EQ(listed, (std::vector<std::string>{id(0), id(1), id(2), id(4)})) << stopped.out;

  auto show = torchsweep_cli(dir, {"results", "show", id(1), "--db", "a.db"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("\ndecisions\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("0.35 > 0.3, the top 1/3 cutoff of 2 runs at rung 1"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("\nrungs\n"), std::string::npos) << show.out;

  auto curves = torchsweep_cli(dir, {"results", "curves", "--db", "a.db", "--metric", "test/loss", "--by",
                                     "optimizer.lr", "--format", "csv"});
  ASSERT_EQ(curves.code, 0) << curves.err;
  EXPECT_EQ(curves.out.substr(0, curves.out.find('\n')),
            "epoch,optimizer.lr = 0.01 (stopped at 1),optimizer.lr = 0.03 (stopped at 3),"
            "optimizer.lr = 0.1 (stopped at 1),optimizer.lr = 0.3,optimizer.lr = 1 (stopped at 1),optimizer.lr = 3");

  // Every sweep's runs by rate: the lr-find's 1e-7 is not a group unless asked for.
  auto compare = torchsweep_cli(dir, {"results", "compare", "--db", "a.db", "--sweep", "all", "--by", "optimizer.lr",
                                      "--format", "csv"});
  ASSERT_EQ(compare.code, 0) << compare.err;
  EXPECT_EQ(compare.out.find("1e-07,"), std::string::npos) << compare.out;
  EXPECT_NE(compare.out.find("\n0.01,1,"), std::string::npos) << compare.out;
  compare = torchsweep_cli(dir, {"results", "compare", "--db", "a.db", "--sweep", "all", "--by", "optimizer.lr",
                                 "--where", "kind = lr_find", "--format", "csv"});
  ASSERT_EQ(compare.code, 0) << compare.err;
  EXPECT_NE(compare.out.find("\n1e-07,1,2,9,"), std::string::npos) << compare.out;
}

}  // namespace
