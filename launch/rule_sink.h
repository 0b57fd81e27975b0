// A sweep's point-by-point early-stopping rule (median, patience, W&B's hyperband)
// applied to one run while it trains. Each new point of the judged metric is put to
// the rule; a stop is decided in one write transaction that first sees this run's own
// points committed (the recording sink is flushed), reads the other runs' from the
// database, and records the decision together with the run's new status. The trainer
// asks stop_requested() after each logged row and ends the run there, as stopped.
#pragma once

#include <cstdint>
#include <string>

#include "results/metric_sink.h"
#include "results/store.h"
#include "sweep/early_stopping.h"

namespace torchsweep {

class RuleSink : public MetricSink {
 public:
  /// `recorder` writes this run's points to `store` (it is flushed before a judgement
  /// that reads the database).
  RuleSink(Store& store, int64_t sweep_id, int64_t run_id, EarlyStopping rule, MetricSink& recorder);

  void log(int64_t step, const MetricRow& row) override { take(step, row, MetricAxis::Step); }
  void log_epoch(int64_t epoch, const MetricRow& row) override { take(epoch, row, MetricAxis::Epoch); }
  std::string stop_requested() override { return stop_; }

 private:
  void take(int64_t step, const MetricRow& row, MetricAxis axis);
  /// Puts the run's latest point to the rule; records a stop.
  void judge(MetricAxis axis);

  Store& store_;
  int64_t sweep_id_;
  int64_t run_id_;
  EarlyStopping rule_;
  MetricSink& recorder_;
  History own_;
  std::string stop_;
};

}  // namespace torchsweep
