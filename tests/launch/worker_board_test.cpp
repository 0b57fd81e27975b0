#include "launch/worker_board.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

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

/// A terminal of `width` columns, as a user sees what the board writes: it understands
/// the few controls the board sends (\n, \r, ESC[nA, ESC[J, ESC[K) and, resized, rewraps
/// its lines, as most terminals do.
class Screen {
 public:
  explicit Screen(size_t width) : width_(width) { rows_.push_back({"", false}); }

  void write(const std::string& text) {
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\n') {
        ++row_;
        col_ = 0;
        if (row_ == rows_.size()) rows_.push_back({"", false});
      } else if (c == '\r') {
        col_ = 0;
      } else if (c == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
        size_t end = i + 2;
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        const size_t n = end > i + 2 ? std::stoul(text.substr(i + 2, end - i - 2)) : 1;
        const char command = text[end];
        if (command == 'A') row_ = row_ >= n ? row_ - n : 0;
        if (command == 'J') rows_.resize(row_ + 1);
        if (command == 'J' || command == 'K') rows_[row_].text.resize(std::min(rows_[row_].text.size(), col_));
        i = end;
      } else {
        if (col_ == width_) {  // the character goes on the next row: the line wraps
          ++row_;
          col_ = 0;
          if (row_ == rows_.size()) rows_.push_back({"", false});
          rows_[row_].continued = true;
        }
        std::string& line = rows_[row_].text;
        if (line.size() < col_ + 1) line.resize(col_ + 1, ' ');
        line[col_++] = c;
      }
    }
  }

  /// The window is now `width` columns: every line is wrapped again, the cursor kept
  /// at its place in its line.
  void resize(size_t width) {
    std::vector<std::string> lines;
    size_t cursor_line = 0, cursor_offset = 0;
    for (size_t r = 0; r < rows_.size(); ++r) {
      if (r == 0 || !rows_[r].continued) lines.emplace_back();
      if (r == row_) cursor_line = lines.size() - 1, cursor_offset = lines.back().size() + col_;
      lines.back() += rows_[r].text;
    }
    rows_.clear();
    for (size_t l = 0; l < lines.size(); ++l) {
      const size_t first = rows_.size();
      for (size_t at = 0; at == 0 || at < lines[l].size(); at += width)
        rows_.push_back({lines[l].substr(at, width), at > 0});
      if (l == cursor_line) {
        row_ = first + std::min(cursor_offset / width, rows_.size() - 1 - first);
        col_ = cursor_offset - (row_ - first) * width;
      }
    }
    width_ = width;
  }

  /// The rows on the screen, without the empty ones at the bottom.
  std::vector<std::string> rows() const {
    std::vector<std::string> out;
    for (const auto& row : rows_) out.push_back(row.text);
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
  }

 private:
  struct Row {
    std::string text;
    bool continued;  ///< the rest of the row above, wrapped
  };
  size_t width_;
  std::vector<Row> rows_;
  size_t row_ = 0, col_ = 0;
};

TEST(WorkerBoardTest, AWindowMadeNarrowerLeavesNoHalfDrawnOrStaleLines) {
  std::ostringstream out;
  int width = 80;
  Screen screen(80);
  WorkerBoard board(out, 2, [&] { return width; });
  board.print("2 worker processes");
  board.take(0, status("[worker 1] " + std::string(60, 'a')));
  board.take(1, status("[worker 2] " + std::string(60, 'b')));
  board.refresh(true);
  screen.write(out.str());
  out.str("");
  ASSERT_EQ(screen.rows(), (std::vector<std::string>{"2 worker processes", "[worker 1] " + std::string(60, 'a'),
                                                      "[worker 2] " + std::string(60, 'b')}));
  // The window shrinks to 40 columns: each status line now takes two rows.
  width = 40;
  screen.resize(40);
  board.refresh(true);  // no new status: the width alone asks for a redraw
  screen.write(out.str());
  out.str("");
  EXPECT_EQ(screen.rows(), (std::vector<std::string>{"2 worker processes", "[worker 1] " + std::string(28, 'a'),
                                                      "[worker 2] " + std::string(28, 'b')}));
  board.print("[worker 1] run 1  finished");
  board.close();
  screen.write(out.str());
  EXPECT_EQ(screen.rows(), (std::vector<std::string>{"2 worker processes", "[worker 1] run 1  finished"}))
      << "after the end only the printed lines stay";
}

TEST(WorkerBoardTest, ClosingRightAfterAResizeErasesTheRewrappedRows) {
  std::ostringstream out;
  int width = 80;
  Screen screen(80);
  {
    WorkerBoard board(out, 2, [&] { return width; });
    board.print("started");
    board.take(0, status(std::string(70, 'a')));
    board.take(1, status(std::string(70, 'b')));
    board.refresh(true);
    screen.write(out.str());
    out.str("");
    width = 30;
    screen.resize(30);
    board.close();
  }
  screen.write(out.str());
  EXPECT_EQ(screen.rows(), (std::vector<std::string>{"started"}));
}

TEST(LineSplitterTest, KeepsAPartialLineForTheNextRead) {
  LineSplitter lines;
  EXPECT_EQ(lines.feed("ab\ncd", 5), (std::vector<std::string>{"ab"}));
  EXPECT_EQ(lines.feed("e\n\nf", 4), (std::vector<std::string>{"cde", ""}));
  EXPECT_EQ(lines.rest(), "f");
  EXPECT_EQ(lines.rest(), "");
}

}  // namespace
