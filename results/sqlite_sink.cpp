#include "results/sqlite_sink.h"

namespace torchsweep {

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment)
    : SqliteSink(store, run_id, std::move(environment), Options{}) {}

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment, Options options)
    : store_(store),
      run_id_(run_id),
      environment_(std::move(environment)),
      options_(options),
      last_flush_(std::chrono::steady_clock::now()) {
  buffer_.reserve(options_.max_buffered_points);
}

SqliteSink::~SqliteSink() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; run_ended reports write errors
  }
}

void SqliteSink::run_started(const RunStarted& info) {
  environment_.device = info.device;
  environment_.device_name = info.device_name;
  store_.mark_running(run_id_, environment_);
}

void SqliteSink::log(int64_t step, const MetricRow& row) {
  for (const auto& [key, value] : row) {
    if (known_keys_.insert(key).second) new_keys_.push_back(key);
    buffer_.push_back({key, step, value});
  }
  if (buffer_.size() >= options_.max_buffered_points ||
      std::chrono::steady_clock::now() - last_flush_ >= options_.flush_interval)
    flush();
}

void SqliteSink::flush() {
  store_.append_metrics(run_id_, buffer_, new_keys_);
  buffer_.clear();
  new_keys_.clear();
  last_flush_ = std::chrono::steady_clock::now();
}

void SqliteSink::run_ended(const RunEnded& outcome) {
  flush();
  store_.end_run(run_id_, outcome.status, outcome.error, outcome.steps, outcome.wall_seconds);
}

void SqliteSink::checkpoint_saved(const std::string& path, int64_t epoch) {
  flush();  // the database then holds every point up to the checkpoint
  store_.record_checkpoint(run_id_, path, epoch);
}

}  // namespace torchsweep
