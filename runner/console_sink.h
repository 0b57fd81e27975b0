// Progress on the terminal. Interactive (a TTY): a progress bar per epoch with
// loss, running accuracy, samples/s and ETA, redrawn in place. Otherwise: a plain
// line every few seconds. Always: one line per epoch and one when the run ends.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "results/metric_sink.h"

namespace torchsweep {

class ConsoleSink : public MetricSink {
 public:
  /// `label` identifies the run ("run 3 [3/6]  optimizer.lr=0.5").
  ConsoleSink(std::ostream& out, std::string label, bool interactive,
              std::chrono::milliseconds plain_interval = std::chrono::seconds(10));

  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void progress(const Progress& p) override;
  void run_ended(const RunEnded& outcome) override;

 private:
  void end_bar();

  std::ostream& out_;
  std::string label_;
  bool interactive_;
  std::chrono::milliseconds plain_interval_;
  std::chrono::steady_clock::time_point last_print_;
  std::string device_;
  bool bar_open_ = false;
  int64_t epochs_ = 0;
  double last_loss_ = 0.0;
  bool have_loss_ = false;
};

}  // namespace torchsweep
