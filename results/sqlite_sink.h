// A MetricSink that records one run into the results store. Points are buffered
// and written in one transaction per flush, so the training loop does not wait
// on the disk per step; a crash loses at most the last flush interval.
#pragma once

#include <chrono>
#include <set>

#include "results/store.h"

namespace torchsweep {

class SqliteSink : public MetricSink {
 public:
  struct Options {
    /// Flush when this many points are buffered.
    size_t max_buffered_points = 8192;
    /// Flush at the next log call once this much time has passed.
    std::chrono::milliseconds flush_interval{1000};
  };

  /// `environment` is completed with the device when the run starts.
  SqliteSink(Store& store, int64_t run_id, RunEnvironment environment);
  SqliteSink(Store& store, int64_t run_id, RunEnvironment environment, Options options);
  ~SqliteSink() override;

  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override;
  void checkpoint_saved(const std::string& path, int64_t epoch) override;
  void flush();

 private:
  Store& store_;
  int64_t run_id_;
  RunEnvironment environment_;
  Options options_;
  std::vector<MetricPoint> buffer_;
  std::vector<std::string> new_keys_;
  std::set<std::string> known_keys_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace torchsweep
