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

/// What a metric's `step` counts: optimizer steps done (the step axis), or epochs
/// from 1 (the epoch axis: a row written at an epoch's end).
enum class MetricAxis { Step, Epoch };

/// "step" or "epoch", as stored in metric_keys.axis.
const char* to_string(MetricAxis axis);

/// A metric's name and the axis its steps are on.
struct MetricKey {
  MetricKey(std::string key, MetricAxis on = MetricAxis::Step) : name(std::move(key)), axis(on) {}  // NOLINT: a name alone is a step metric
  MetricKey(const char* key) : name(key) {}  // NOLINT
  std::string name;
  MetricAxis axis = MetricAxis::Step;
};

/// One logged point.
struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0.0;
};

/// How a run ended. A failed or diverged run is data, not an exception.
/// Paused: trained up to a rung of an adaptive sweep (ASHA, Hyperband), waiting for
/// the rung's decision (it continues from its checkpoint when promoted). Stopped: ended
/// early by the sweep's early-stopping rule; what it recorded stays.
enum class RunStatus { Pending, Running, Finished, Failed, Diverged, Interrupted, Paused, Stopped };

/// "pending", "running", ... as stored in runs.status.
const char* to_string(RunStatus status);
/// The status a runs.status text names; std::invalid_argument for any other text.
RunStatus parse_run_status(const std::string& text);
/// Every status, in the order a run goes through them.
const std::vector<RunStatus>& all_run_statuses();
/// Whether a run in this status is done: finished, diverged or stopped (not taken again).
inline bool is_done(RunStatus status) {
  return status == RunStatus::Finished || status == RunStatus::Diverged || status == RunStatus::Stopped;
}

struct RunStarted {
  std::string device;       ///< resolved device, e.g. "cpu", "cuda:0"
  std::string device_name;  ///< e.g. the CPU model or GPU name
  int64_t resumed_at_step = 0;  ///< > 0 when the run continues from a checkpoint
  int64_t resumed_at_epoch = 0;
  /// How its steps ran: "eager" or "cuda_graph"; "" when the trainer does not say.
  std::string engine = "";
  /// Why the steps run with that engine and not the one asked for ("" when as asked).
  std::string engine_note = "";
  /// train.memory_format as resolved for this device and model: "contiguous" or
  /// "channels_last"; "" when the trainer does not say.
  std::string memory_format = "";
};

/// Where training is within an epoch, for progress displays.
struct Progress {
  int64_t epoch = 0;         ///< from 1
  int64_t epochs = 0;        ///< 0 when the run is budgeted in steps
  int64_t batch = 0;         ///< batches done in this epoch
  int64_t batches = 0;       ///< batches in this epoch
  int64_t step = 0;          ///< optimizer steps done in the run
  int64_t total_steps = 0;
  double loss = 0.0;         ///< mean loss over this epoch so far
  double accuracy = -1.0;    ///< running accuracy this epoch; < 0 when not classification
  double samples_per_second = 0.0;
  double elapsed_seconds = 0.0;  ///< in this epoch
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
  /// Points of one step (the step axis); the sink may buffer them.
  virtual void log(int64_t step, const MetricRow& row) = 0;
  /// Points written at the end of epoch `epoch` (from 1): the epoch axis. A sink that
  /// does not tell the axes apart takes them as a step row at the epoch's number.
  virtual void log_epoch(int64_t epoch, const MetricRow& row) { log(epoch, row); }
  virtual void run_ended(const RunEnded& outcome) { (void)outcome; }
  /// Called after every training batch; displays throttle themselves.
  virtual void progress(const Progress& p) { (void)p; }
  /// Makes every point logged so far durable. The trainer calls it before it writes a
  /// checkpoint: a run continued from that checkpoint does not log those steps again,
  /// so they must not be lost if the process dies between the two.
  virtual void flush() {}
  /// The run's steps go on with another engine (a CUDA graph that could not be
  /// captured falls back to eager steps), for the reason `note`.
  virtual void engine_changed(const std::string& engine, const std::string& note) {
    (void)engine;
    (void)note;
  }
  /// Why the run should end now ("" to go on): a sink that applies a sweep's
  /// early-stopping rule answers once the points of a step or an epoch are logged, and
  /// the trainer then ends the run as stopped, with this as its message.
  virtual std::string stop_requested() { return ""; }
  /// A checkpoint was written (its folder).
  virtual void checkpoint_saved(const std::string& path, int64_t epoch) {
    (void)path;
    (void)epoch;
  }
};

/// Keeps everything in memory: for tests and for callers that want the values back.
class MemorySink : public MetricSink {
 public:
  void run_started(const RunStarted& info) override { started = info; }
  void log(int64_t step, const MetricRow& row) override;
  void log_epoch(int64_t epoch, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override { ended = outcome; }
  void checkpoint_saved(const std::string& path, int64_t epoch) override { checkpoints.emplace_back(path, epoch); }
  void engine_changed(const std::string& engine, const std::string& note) override {
    started.engine = engine;
    started.engine_note = note;
  }

  /// The values of one metric in step order, and the steps they were logged at.
  std::vector<double> values(const std::string& key) const;
  std::vector<int64_t> steps(const std::string& key) const;
  /// The axis a metric was logged on (Step for one never logged).
  MetricAxis axis(const std::string& key) const;

  RunStarted started;
  RunEnded ended;
  std::vector<MetricPoint> points;
  std::vector<std::pair<std::string, int64_t>> checkpoints;  ///< (folder, epochs completed)
  std::vector<std::string> epoch_keys;                        ///< keys logged on the epoch axis
};

/// Forwards to several sinks (the database and the console, say).
class FanoutSink : public MetricSink {
 public:
  explicit FanoutSink(std::vector<MetricSink*> sinks) : sinks_(std::move(sinks)) {}
  void run_started(const RunStarted& info) override;
  void log(int64_t step, const MetricRow& row) override;
  void log_epoch(int64_t epoch, const MetricRow& row) override;
  void run_ended(const RunEnded& outcome) override;
  void progress(const Progress& p) override;
  void flush() override;
  void checkpoint_saved(const std::string& path, int64_t epoch) override;
  void engine_changed(const std::string& engine, const std::string& note) override;
  std::string stop_requested() override;

 private:
  std::vector<MetricSink*> sinks_;
};

}  // namespace torchsweep
