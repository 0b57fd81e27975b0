// A MetricSink that records one run into the results store. The training thread
// only appends points to a buffer; a writer thread commits them in one
// transaction per batch, so a step never waits on the disk. A crash loses at most
// the points of the last flush interval; run end and checkpoints flush everything.
// The writer also keeps the run's heartbeat while it runs, and the run's metric
// summaries as the points go by, so that ending a long run does not rescan its points.
// While another process holds the database's lock past SQLite's busy timeout, the
// writer keeps its points and tries again; only other errors fail the run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "results/metric_summary.h"
#include "results/store.h"

namespace torchsweep {

class SqliteSink : public MetricSink {
 public:
  struct Options {
    /// Hand a batch to the writer when this many points are buffered.
    size_t batch_points = 8192;
    /// ... or when this much time has passed since the last hand-over.
    std::chrono::milliseconds flush_interval{1000};
    /// Beyond this many buffered points, logging waits for the writer (bounds memory).
    size_t max_buffered_points = 1 << 20;
    /// How often the writer records that the run's process is alive (runs.heartbeat_at),
    /// so that a run whose process died on another host is recognised as stale.
    std::chrono::milliseconds heartbeat_interval{10000};
    /// The longest pause between tries while the database stays locked (the pause
    /// doubles from 50 ms up to this).
    std::chrono::milliseconds locked_retry_max{5000};
  };

  /// `environment` is completed with the device when the run starts.
  SqliteSink(Store& store, int64_t run_id, RunEnvironment environment);
  SqliteSink(Store& store, int64_t run_id, RunEnvironment environment, Options options);
  ~SqliteSink() override;
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void log_epoch(int64_t epoch, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override;
  void checkpoint_saved(const std::string& path, int64_t epoch) override;
  void engine_changed(const std::string& engine, const std::string& note) override;
  /// Waits until every point logged so far is committed. Rethrows a write error.
  void flush() override;

 private:
  void append(int64_t step, const MetricRow& row, MetricAxis axis);
  /// The number of a metric, numbering it when it is new (training thread).
  uint32_t number_of(const std::string& key, MetricAxis axis);
  void writer_loop();
  /// Commits `pending_` (writer thread), trying again while the database is locked.
  void write_pending();
  /// Runs a write under the store's lock, trying again while the database is locked.
  template <class Write>
  void write_when_unlocked(Write&& write);
  void rethrow_writer_error();

  Store& store_;
  int64_t run_id_;
  RunEnvironment environment_;
  Options options_;
  std::chrono::steady_clock::time_point last_handover_;

  // Training thread only: metric numbers, and the numbers of the last row logged on
  // each axis (rows usually repeat their keys, so most rows need no lookup).
  std::unordered_map<std::string, uint32_t> numbers_;
  std::vector<std::string> names_;
  std::vector<uint32_t> last_row_[2];

  // Writer thread only (and whoever waits for it to be idle).
  std::vector<std::string> written_names_;
  std::vector<NumberedPoint> pending_;
  std::vector<MetricKey> pending_keys_;
  std::vector<MetricSummary> summaries_;
  bool summaries_exact_ = true;  // false when the run had points before this sink

  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable writer_idle_;
  std::vector<NumberedPoint> filling_;   // guarded by mutex_
  std::vector<MetricKey> new_keys_;      // guarded by mutex_
  bool handover_ = false;                // guarded by mutex_
  bool writing_ = false;                 // guarded by mutex_
  bool stop_ = false;                    // guarded by mutex_
  std::exception_ptr writer_error_;      // guarded by mutex_
  std::thread writer_;
};

}  // namespace torchsweep
