// What a coordinator shows of several worker processes sharing one terminal: the lines
// they print (epochs, run ends, errors) scroll as usual, and under them one status line
// per worker is redrawn in place, so that bars never interleave. A worker sends its
// status as a record (a line that starts with kStatusRecord, console_sink.h); any
// other line scrolls.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "train/console_sink.h"  // kStatusRecord

namespace torchsweep {

class WorkerBoard {
 public:
  /// `slots` status lines; `width` gives the terminal's columns at every redraw and
  /// erase, so a resized window is followed: lines drawn wider than the window now is
  /// are erased as the rows the terminal rewrapped them into, and redrawn to fit.
  WorkerBoard(std::ostream& out, int slots, std::function<int()> width);
  /// Closes (a board left by an error leaves no status lines behind).
  ~WorkerBoard() { close(); }
  WorkerBoard(const WorkerBoard&) = delete;
  WorkerBoard& operator=(const WorkerBoard&) = delete;

  /// A whole line of worker `slot`'s output: a status record replaces its status line;
  /// anything else is printed above the status lines.
  void take(int slot, const std::string& line);
  /// A line of the coordinator's own, printed above the status lines.
  void print(const std::string& line);
  /// Redraws changed status lines (all of them when the width changed), at most ten
  /// times a second unless `force`.
  void refresh(bool force = false);
  /// Removes the status lines (at the end); the printed lines stay.
  void close();

 private:
  void erase();
  void draw();

  std::ostream& out_;
  std::vector<std::string> status_;
  std::function<int()> width_;
  /// The columns of each status line on the screen now (none drawn: empty).
  std::vector<size_t> drawn_;
  int drawn_width_ = 0;  ///< the width they were drawn for
  bool dirty_ = true;
  std::chrono::steady_clock::time_point last_draw_{};
};

/// Cuts a byte stream into whole lines, keeping a partial last line for the next feed.
class LineSplitter {
 public:
  std::vector<std::string> feed(const char* data, size_t size);
  /// What is left after the stream ended (a last line without its newline), emptied.
  std::string rest();

 private:
  std::string partial_;
};

}  // namespace torchsweep
