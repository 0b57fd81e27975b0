// Progress on the terminal. Interactive (a TTY): one line redrawn in place with the
// run's progress bar and ETA, the epoch's progress beside it, the epoch's running mean
// loss and accuracy and samples/s, always narrower than the terminal (a line that
// wrapped would leave a copy behind at every redraw). Otherwise: a plain line every
// few seconds. For a coordinator that draws several workers: that same line as a
// status record (worker_board.h). Always: one line per epoch and one when the run ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "results/metric_sink.h"

namespace torchsweep {

/// ASCII's record separator: starts a status record (Display::StatusRecords), never a
/// printed line.
constexpr char kStatusRecord = '\x1e';

/// The terminal's columns (stdout, then stderr), else $COLUMNS, else 80.
int terminal_width();

/// The one status line of a lane group: the first lane still running carries
/// it, so that a lane that ends before the others (it diverged) hands the line on
/// instead of leaving its last values on the board until the group ends.
class SharedStatusLine {
 public:
  explicit SharedStatusLine(size_t lanes) : running_(lanes, true) {}
  /// Whether `lane` draws the line now.
  bool carried_by(size_t lane) const;
  /// `lane` ended: the next one still running carries the line.
  void ended(size_t lane);

 private:
  mutable std::mutex mutex_;  // lanes may end on other threads than the one drawing
  std::vector<bool> running_;
};

class ConsoleSink : public MetricSink {
 public:
  enum class Display {
    Bar,            ///< a terminal: the line redrawn in place
    Lines,          ///< a log: a whole line every plain_interval
    StatusRecords,  ///< a pipe to the coordinator: the bar's line as a status record, 10 times a second at most
    /// No progress: the run's epoch and end lines only.
    Quiet,
  };

  /// `label` identifies the run ("run 3 [3/6]  optimizer.lr=0.5").
  /// `width`: the terminal's columns; 0 reads them from the terminal at every redraw,
  /// so that a resized window is followed.
  ConsoleSink(std::ostream& out, std::string label, Display display,
              std::chrono::milliseconds plain_interval = std::chrono::seconds(10), int width = 0);
  /// `interactive`: Bar, else Lines.
  ConsoleSink(std::ostream& out, std::string label, bool interactive,
              std::chrono::milliseconds plain_interval = std::chrono::seconds(10), int width = 0)
      : ConsoleSink(out, std::move(label), interactive ? Display::Bar : Display::Lines, plain_interval, width) {}

  /// The interactive line for `p` in at most `width` - 1 columns (public for tests).
  std::string progress_line(const Progress& p, int width) const;
  /// What the progress line (bar or status record) is labelled with when not the run's
  /// own label: a lane group's one status line names the runs it trains.
  void set_progress_label(std::string label) { progress_label_ = std::move(label); }
  /// This sink is lane `lane` of a group that shows one status line: it draws
  /// progress only while it carries `line`, and hands it on when its run ends.
  void share_status_line(std::shared_ptr<SharedStatusLine> line, size_t lane) {
    shared_line_ = std::move(line);
    lane_ = lane;
  }

  void run_started(const RunStarted& info) override;
  void engine_changed(const std::string& engine, const std::string& note) override;
  void log(int64_t step, const MetricRow& row) override;
  void log_epoch(int64_t epoch, const MetricRow& row) override;
  void progress(const Progress& p) override;
  void run_ended(const RunEnded& outcome) override;

 private:
  void end_bar();

  std::ostream& out_;
  std::string label_;
  Display display_;
  std::chrono::milliseconds plain_interval_;
  int width_;
  std::chrono::steady_clock::time_point last_print_;
  std::string device_;
  bool bar_open_ = false;
  size_t bar_columns_ = 0;  ///< the columns of the bar on the screen
  std::string progress_label_;
  std::shared_ptr<SharedStatusLine> shared_line_;
  size_t lane_ = 0;
  int64_t epochs_ = 0;
  double last_loss_ = 0.0;
  bool have_loss_ = false;
};

}  // namespace torchsweep
