// A sweep run again from the database (`torchsweep rerun --sweep ID`, or `rerun RUN_ID`
// of one run) replays the decisions its original took instead of taking them again:
// every run trains as far as its original did and ends as it ended — finished, or
// stopped at the rung or the point where its rule stopped it — and the original's
// decisions are copied into the new sweep, in their order. What a decision saw came
// from the runs' own numbers, which a deterministic rerun reproduces bit for bit.
#pragma once

#include <cstdint>
#include <string>

#include "results/metric_sink.h"
#include "results/sqlite.h"

namespace torchsweep {

/// How a recorded run ended, as a replay carries it out.
struct RecordedEnd {
  enum class Kind {
    Budget,         ///< it trained to its end (finished, diverged, failed): the rerun does too
    StoppedAtRung,  ///< ASHA/Hyperband stopped it where it waited: train up to `at`, then stop
    StoppedAtPoint  ///< a point-by-point rule stopped it at its point of `metric` at `at`
  };
  Kind kind = Kind::Budget;
  MetricAxis axis = MetricAxis::Step;
  int64_t at = 0;
  std::string metric;
  std::string note;  ///< the original's stop, in words (runs.error)
};

/// How run `run_id` ended, from its status and its stop decision.
RecordedEnd recorded_end(Database& db, int64_t run_id);

/// Copies the decisions of `from_sweep` (only those about `only_run` when > 0) into
/// `to_sweep`, in their order, each run mapped through runs.rerun_of (inside the
/// caller's transaction). Returns how many.
int64_t copy_decisions(Database& db, int64_t from_sweep, int64_t to_sweep, int64_t only_run = 0);

/// Stops a replayed run at its original's stop point: once the point of the recorded
/// metric at the recorded step is logged.
class ReplaySink : public MetricSink {
 public:
  explicit ReplaySink(RecordedEnd end) : end_(std::move(end)) {}
  void log(int64_t step, const MetricRow& row) override { take(step, row, MetricAxis::Step); }
  void log_epoch(int64_t epoch, const MetricRow& row) override { take(epoch, row, MetricAxis::Epoch); }
  std::string stop_requested() override { return stop_; }

 private:
  void take(int64_t step, const MetricRow& row, MetricAxis axis);
  RecordedEnd end_;
  std::string stop_;
};

}  // namespace torchsweep
