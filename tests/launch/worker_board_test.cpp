#include "launch/worker_board.h"

#include <sstream>

#include "tests/test_helpers.h"

namespace {

using torchsweep::kStatusRecord;
using torchsweep::LineSplitter;
using torchsweep::WorkerBoard;

std::string status(const std::string& text) { return std::string(1, kStatusRecord) + text; }

TEST(WorkerBoardTest, StatusLinesAreRedrawnInPlaceUnderTheScrolledLines) {
  std::ostringstream out;
  WorkerBoard board(out, 2, [] { return 40; });
  board.print("2 worker processes");
  // The scrolled line, then the two status lines below it.
  EXPECT_EQ(out.str(), "2 worker processes\n[worker 1] starting\x1b[K\n[worker 2] starting\x1b[K\n");
  out.str("");
  board.take(1, status("[worker 2] run 1  50%"));
  board.refresh(true);
  // Back up two lines, clear, redraw both.
  EXPECT_EQ(out.str(), "\x1b[2A\r\x1b[J[worker 1] starting\x1b[K\n[worker 2] run 1  50%\x1b[K\n");
  out.str("");
  board.take(0, "[worker 1] run 2  finished");
  EXPECT_EQ(out.str(),
            "\x1b[2A\r\x1b[J[worker 1] run 2  finished\n[worker 1] starting\x1b[K\n[worker 2] run 1  50%\x1b[K\n");
  out.str("");
  board.refresh(true);
  EXPECT_EQ(out.str(), "") << "nothing changed: nothing drawn";
  board.close();
  EXPECT_EQ(out.str(), "\x1b[2A\r\x1b[J") << "the status lines go, the scrolled lines stay";
}

TEST(WorkerBoardTest, AStatusLineNeverWrapsAtTheTerminalsWidth) {
  std::ostringstream out;
  int width = 30;
  WorkerBoard board(out, 1, [&] { return width; });
  board.take(0, status(std::string(100, '#')));
  board.refresh(true);
  EXPECT_NE(out.str().find(std::string(29, '#') + "\x1b[K"), std::string::npos);
  EXPECT_EQ(out.str().find(std::string(30, '#')), std::string::npos);
  width = 20;  // the window shrank: the next redraw follows it
  out.str("");
  board.take(0, status(std::string(100, '#')));
  board.refresh(true);
  EXPECT_NE(out.str().find(std::string(19, '#') + "\x1b[K"), std::string::npos);
  EXPECT_EQ(out.str().find(std::string(20, '#')), std::string::npos);
}

TEST(LineSplitterTest, KeepsAPartialLineForTheNextRead) {
  LineSplitter lines;
  EXPECT_EQ(lines.feed("ab\ncd", 5), (std::vector<std::string>{"ab"}));
  EXPECT_EQ(lines.feed("e\n\nf", 4), (std::vector<std::string>{"cde", ""}));
  EXPECT_EQ(lines.rest(), "f");
  EXPECT_EQ(lines.rest(), "");
}

}  // namespace
