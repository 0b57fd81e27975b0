// The interactive progress line: never as wide as the terminal (a wrapped line leaves
// a copy behind at every redraw), the run's progress and ETA first, labelled values.
#include "train/console_sink.h"

#include "base/utf8.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <vector>

#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

Progress halfway() {
  Progress p;
  p.epoch = 3;
  p.epochs = 15;
  p.batch = 150;
  p.batches = 469;
  p.step = 2 * 469 + 150;
  p.total_steps = 15 * 469;
  p.loss = 0.4321;
  p.accuracy = 0.8765;
  p.samples_per_second = 12345;
  p.elapsed_seconds = 1.5;  // 10 ms a step
  return p;
}

TEST(ConsoleSink, TheLineFitsTheTerminalAtEveryWidth) {
  std::ostringstream out;
  ConsoleSink sink(out, "run 12 [3/6]  optimizer.lr=0.5 optimizer.momentum=0.9", true);
  for (int width = 20; width <= 200; ++width) {
    const std::string line = sink.progress_line(halfway(), width);
    EXPECT_LT(character_count(line), static_cast<size_t>(width)) << width << ": " << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
  }
}

TEST(ConsoleSink, AWideTerminalShowsRunProgressEtaAndLabelledEpochValues) {
  std::ostringstream out;
  ConsoleSink sink(out, "run 1 [1/1]", true);
  const std::string line = sink.progress_line(halfway(), 160);
  // 1088 of 7035 steps: 15 %; 5947 steps left at 10 ms each: 59 s.
  EXPECT_NE(line.find(" 15%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 59s"), std::string::npos) << line;
  EXPECT_NE(line.find("epoch 3/15 150/469"), std::string::npos) << line;
  EXPECT_NE(line.find("epoch loss 0.4321"), std::string::npos) << line;
  EXPECT_NE(line.find("epoch acc 0.8765"), std::string::npos) << line;
  EXPECT_NE(line.find("12345 samples/s"), std::string::npos) << line;
  EXPECT_NE(line.find("[####"), std::string::npos) << "a bar where there is room: " << line;
}

TEST(ConsoleSink, AnEightyColumnTerminalKeepsProgressAndEta) {
  std::ostringstream out;
  ConsoleSink sink(out, "run 12 [3/6]  optimizer.lr=0.5", true);
  const std::string line = sink.progress_line(halfway(), 80);
  EXPECT_LT(character_count(line), 80u) << line;
  EXPECT_NE(line.find(" 15%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 59s"), std::string::npos) << line;
}

TEST(ConsoleSink, RedrawsInPlaceWithTheGivenWidth) {
  std::ostringstream out;
  ConsoleSink sink(out, "run 1 [1/1]", true, std::chrono::seconds(10), 60);
  Progress p = halfway();
  p.batch = p.batches;  // the last batch of an epoch is always drawn
  sink.progress(p);
  const std::string text = out.str();
  ASSERT_EQ(text.substr(0, 1), "\r");
  EXPECT_EQ(text.substr(text.size() - 3), "\x1b[K");
  EXPECT_LT(character_count(text.substr(1, text.size() - 4)), 60u) << text;
}

TEST(ConsoleSink, RunLinesReadNumbersAsTablesDo) {
  // base/number_text.h: six significant digits at most, nan never "-nan", the time
  // sized for a person (not 0.123456789 s).
  std::ostringstream out;
  ConsoleSink sink(out, "run 1 [1/1]", false);
  sink.run_started({"cpu", "", 0, 0});
  sink.log_epoch(1, {{"test/acc", 0.87654321}, {"test/loss", -std::nan("")}});
  sink.log(5, {{"train/loss", 0.23862864348220497}, {"val/acc", 1.0}});
  sink.run_ended({RunStatus::Diverged, "", 5, 0.123456789});
  const std::string text = out.str();
  EXPECT_NE(text.find("epoch 1  test/acc 0.876543  test/loss nan\n"), std::string::npos) << text;
  EXPECT_NE(text.find("step 5  val/acc 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("5 steps on cpu  train/loss 0.238629  123 ms\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("-nan"), std::string::npos) << text;
}

TEST(ConsoleSink, ABarDrawnWiderThanTheWindowNowIsIsRedrawnFromItsFirstRow) {
  // The sink reads the width from the terminal, else from $COLUMNS.
  if (isatty(STDOUT_FILENO) || isatty(STDERR_FILENO)) GTEST_SKIP() << "a terminal's own width would be read";
  const char* before = std::getenv("COLUMNS");
  const std::string saved = before ? before : "";
  std::ostringstream out;
  ConsoleSink sink(out, "run 1 [1/1]", ConsoleSink::Display::Bar);
  Progress p = halfway();
  p.batch = p.batches;  // the last batch of an epoch is always drawn
  setenv("COLUMNS", "100", 1);
  sink.progress(p);
  const size_t drawn = character_count(out.str().substr(1, out.str().size() - 4));
  ASSERT_GT(drawn, 40u) << out.str();
  // The window shrinks to 40 columns: the bar, rewrapped, now takes two or three rows;
  // the redraw goes up to its first row and clears what is below.
  setenv("COLUMNS", "40", 1);
  out.str("");
  sink.progress(p);
  const std::string text = out.str();
  const std::string up = "\r\x1b[" + std::to_string((drawn + 39) / 40 - 1) + "A";
  EXPECT_EQ(text.substr(0, up.size()), up) << text;
  EXPECT_EQ(text.substr(text.size() - 3), "\x1b[J") << text;
  EXPECT_LT(character_count(text.substr(up.size(), text.size() - up.size() - 3)), 40u) << text;
  // Drawn to fit, the next redraw needs no more than the line's own row.
  out.str("");
  sink.progress(p);
  EXPECT_EQ(out.str().substr(0, 2), "\r" + std::string(1, 'r')) << out.str();
  if (before) setenv("COLUMNS", saved.c_str(), 1); else unsetenv("COLUMNS");
}

TEST(ConsoleSink, AFusedGroupShowsOneStatusLineNamingAllItsRuns) {
  // The worker's sinks for lanes of runs 7 to 12: the first lane's status record names
  // the group, the others send none; each lane's own lines carry its run's label.
  std::ostringstream first_out, last_out;
  ConsoleSink first(first_out, "run 7 [7/12]  optimizer.lr=0.1", ConsoleSink::Display::StatusRecords,
                    std::chrono::seconds(10), 120);
  first.set_progress_label("runs 7-12 [7-12/12] (6 fused)");
  ConsoleSink last(last_out, "run 12 [12/12]  optimizer.lr=0.6", ConsoleSink::Display::Quiet,
                   std::chrono::seconds(10), 120);
  last.set_progress_label("runs 7-12 [7-12/12] (6 fused)");
  Progress p = halfway();
  p.batch = p.batches;
  first.progress(p);
  last.progress(p);
  EXPECT_EQ(first_out.str().substr(0, 30), std::string(1, kStatusRecord) + "runs 7-12 [7-12/12] (6 fused)")
      << first_out.str();
  EXPECT_EQ(last_out.str(), "") << "one status line per worker";
  last.run_ended({RunStatus::Finished, "", 7035, 1.0});
  EXPECT_EQ(last_out.str().substr(0, 24), "run 12 [12/12]  optimize") << last_out.str();
}

TEST(ConsoleSink, AFusedGroupsStatusLinePassesToTheFirstLaneStillRunning) {
  // Three lanes as a worker sets them up: lane 0 diverges first, then lane 1 ends; the
  // group's line goes on being drawn by the first lane still running.
  std::vector<std::ostringstream> outs(3);
  std::vector<std::unique_ptr<ConsoleSink>> lanes;
  const auto line = std::make_shared<SharedStatusLine>(3);
  for (size_t k = 0; k < 3; ++k) {
    lanes.push_back(std::make_unique<ConsoleSink>(outs[k], "run " + std::to_string(k + 1),
                                                  ConsoleSink::Display::StatusRecords, std::chrono::seconds(10), 120));
    lanes[k]->set_progress_label("runs 1-3 [1-3/3] (3 fused)");
    lanes[k]->share_status_line(line, k);
  }
  Progress p = halfway();
  p.batch = p.batches;  // drawn at once, not throttled
  const std::string record = std::string(1, kStatusRecord) + "runs 1-3 [1-3/3] (3 fused)";
  auto draw = [&] {
    std::vector<bool> drawn;
    for (size_t k = 0; k < 3; ++k) {
      outs[k].str("");
      lanes[k]->progress(p);
      drawn.push_back(outs[k].str().rfind(record, 0) == 0);
    }
    return drawn;
  };
  EXPECT_EQ(draw(), (std::vector<bool>{true, false, false}));
  lanes[0]->run_ended({RunStatus::Diverged, "train/loss became nan at step 3", 4, 1.0});
  EXPECT_EQ(draw(), (std::vector<bool>{false, true, false})) << "lane 1 carries the line once lane 0 ended";
  lanes[1]->run_ended({RunStatus::Finished, "", 7035, 1.0});
  EXPECT_EQ(draw(), (std::vector<bool>{false, false, true}));
}

}  // namespace
}  // namespace torchsweep
