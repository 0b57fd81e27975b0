#include "results/metric_sink.h"

#include <algorithm>

namespace torchsweep {

const char* to_string(RunStatus status) {
  switch (status) {
    case RunStatus::Pending: return "pending";
    case RunStatus::Running: return "running";
    case RunStatus::Finished: return "finished";
    case RunStatus::Failed: return "failed";
    case RunStatus::Diverged: return "diverged";
    case RunStatus::Interrupted: return "interrupted";
    case RunStatus::Paused: return "paused";
    case RunStatus::Stopped: return "stopped";
  }
  return "unknown";
}

const std::vector<RunStatus>& all_run_statuses() {
  static const std::vector<RunStatus> statuses = {RunStatus::Pending,  RunStatus::Running, RunStatus::Paused,
                                                  RunStatus::Finished, RunStatus::Stopped, RunStatus::Diverged,
                                                  RunStatus::Failed,   RunStatus::Interrupted};
  return statuses;
}

RunStatus parse_run_status(const std::string& text) {
  for (const RunStatus status : all_run_statuses())
    if (text == to_string(status)) return status;
  throw std::invalid_argument("not a run status: '" + text + "'");
}

const char* to_string(MetricAxis axis) { return axis == MetricAxis::Epoch ? "epoch" : "step"; }

void MemorySink::log(int64_t step, const MetricRow& row) {
  for (const auto& [key, value] : row) points.push_back({key, step, value});
}

void MemorySink::log_epoch(int64_t epoch, const MetricRow& row) {
  for (const auto& [key, value] : row) {
    points.push_back({key, epoch, value});
    if (std::find(epoch_keys.begin(), epoch_keys.end(), key) == epoch_keys.end()) epoch_keys.push_back(key);
  }
}

MetricAxis MemorySink::axis(const std::string& key) const {
  return std::find(epoch_keys.begin(), epoch_keys.end(), key) != epoch_keys.end() ? MetricAxis::Epoch
                                                                                  : MetricAxis::Step;
}

std::vector<double> MemorySink::values(const std::string& key) const {
  std::vector<double> out;
  for (const auto& p : points)
    if (p.key == key) out.push_back(p.value);
  return out;
}

std::vector<int64_t> MemorySink::steps(const std::string& key) const {
  std::vector<int64_t> out;
  for (const auto& p : points)
    if (p.key == key) out.push_back(p.step);
  return out;
}

void FanoutSink::run_started(const RunStarted& info) {
  for (auto* s : sinks_) s->run_started(info);
}
void FanoutSink::log(int64_t step, const MetricRow& row) {
  for (auto* s : sinks_) s->log(step, row);
}
void FanoutSink::log_epoch(int64_t epoch, const MetricRow& row) {
  for (auto* s : sinks_) s->log_epoch(epoch, row);
}
void FanoutSink::run_ended(const RunEnded& outcome) {
  for (auto* s : sinks_) s->run_ended(outcome);
}

void FanoutSink::progress(const Progress& p) {
  for (auto* s : sinks_) s->progress(p);
}
void FanoutSink::flush() {
  for (auto* s : sinks_) s->flush();
}

void FanoutSink::engine_changed(const std::string& engine, const std::string& note) {
  for (auto* s : sinks_) s->engine_changed(engine, note);
}

std::string FanoutSink::stop_requested() {
  for (auto* s : sinks_)
    if (auto why = s->stop_requested(); !why.empty()) return why;
  return "";
}

void FanoutSink::checkpoint_saved(const std::string& path, int64_t epoch) {
  for (auto* s : sinks_) s->checkpoint_saved(path, epoch);
}

}  // namespace torchsweep
