// Where a run's results go, in the manner of google/benchmark's BenchmarkReporter:
// the trainer reports a run's start, its metric points and its end to a sink, and
// knows nothing about SQL or terminals. Plain types only: no tensors here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace torchsweep {

/// Metric values of one step, in the order they should appear in exports.
using MetricRow = std::vector<std::pair<std::string, double>>;

/// One logged point.
struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0.0;
};

/// How a run ended. A failed or diverged run is data, not an exception.
enum class RunStatus { Pending, Running, Finished, Failed, Diverged, Interrupted };

/// "pending", "running", ... as stored in runs.status.
const char* to_string(RunStatus status);

struct RunStarted {
  std::string device;       ///< resolved device, e.g. "cpu", "cuda:0"
  std::string device_name;  ///< e.g. the CPU model or GPU name
};

struct RunEnded {
  RunStatus status = RunStatus::Finished;
  std::string error;        ///< empty unless failed or diverged
  int64_t steps = 0;        ///< optimizer steps taken
  double wall_seconds = 0.0;
};

class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void run_started(const RunStarted& info) { (void)info; }
  /// Points of one step; the sink may buffer them.
  virtual void log(int64_t step, const MetricRow& row) = 0;
  virtual void run_ended(const RunEnded& outcome) { (void)outcome; }
};

/// Keeps everything in memory: for tests and for callers that want the values back.
class MemorySink : public MetricSink {
 public:
  void run_started(const RunStarted& info) override { started = info; }
  void log(int64_t step, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override { ended = outcome; }

  /// The values of one metric in step order, and the steps they were logged at.
  std::vector<double> values(const std::string& key) const;
  std::vector<int64_t> steps(const std::string& key) const;

  RunStarted started;
  RunEnded ended;
  std::vector<MetricPoint> points;
};

/// Forwards to several sinks (the database and the console, say).
class FanoutSink : public MetricSink {
 public:
  explicit FanoutSink(std::vector<MetricSink*> sinks) : sinks_(std::move(sinks)) {}
  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override;

 private:
  std::vector<MetricSink*> sinks_;
};

}  // namespace torchsweep
