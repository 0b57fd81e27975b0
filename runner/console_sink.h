// Progress on the terminal: one line when a run ends, and a periodic line with
// the latest loss while a long run trains.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "results/metric_sink.h"

namespace torchsweep {

class ConsoleSink : public MetricSink {
 public:
  /// `label` identifies the run ("[3/6] optimizer.lr=0.5").
  ConsoleSink(std::ostream& out, std::string label, std::chrono::milliseconds interval = std::chrono::seconds(5));

  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override;

 private:
  std::ostream& out_;
  std::string label_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_print_;
  std::string device_;
  int64_t last_step_ = -1;
  double last_loss_ = 0.0;
  bool have_loss_ = false;
};

}  // namespace torchsweep
