#include "results/sqlite_sink.h"

namespace torchsweep {

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment)
    : SqliteSink(store, run_id, std::move(environment), Options{}) {}

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment, Options options)
    : store_(store),
      run_id_(run_id),
      environment_(std::move(environment)),
      options_(options),
      last_handover_(std::chrono::steady_clock::now()) {
  filling_.reserve(options_.batch_points);
  writer_ = std::thread([this] { writer_loop(); });
}

SqliteSink::~SqliteSink() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; run_ended reports write errors
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

void SqliteSink::writer_loop() {
  std::vector<MetricPoint> batch;
  std::vector<std::string> keys;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_writer_.wait(lock, [this] { return stop_ || handover_; });
    if (!handover_) return;  // stopping, nothing left
    handover_ = false;
    batch.swap(filling_);
    keys.swap(new_keys_);
    writing_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      store_.append_metrics(run_id_, batch, keys);
    } catch (...) {
      error = std::current_exception();
    }
    batch.clear();
    keys.clear();
    lock.lock();
    writing_ = false;
    if (error && !writer_error_) writer_error_ = error;
    writer_idle_.notify_all();
  }
}

void SqliteSink::rethrow_writer_error() {
  if (writer_error_) {
    auto error = writer_error_;
    writer_error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void SqliteSink::run_started(const RunStarted& info) {
  environment_.device = info.device;
  environment_.device_name = info.device_name;
  store_.mark_running(run_id_, environment_);  // no points yet: the writer is idle
}

void SqliteSink::log(int64_t step, const MetricRow& row) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  rethrow_writer_error();
  for (const auto& [key, value] : row) {
    if (known_keys_.insert(key).second) new_keys_.push_back(key);
    filling_.push_back({key, step, value});
  }
  if (filling_.size() >= options_.batch_points || now - last_handover_ >= options_.flush_interval) {
    last_handover_ = now;
    if (!writing_) {
      handover_ = true;
      lock.unlock();
      wake_writer_.notify_one();
      return;
    }
  }
  // Bounded memory: when the disk cannot keep up, wait for the writer.
  if (filling_.size() >= options_.max_buffered_points) {
    writer_idle_.wait(lock, [this] { return !writing_; });
    handover_ = true;
    lock.unlock();
    wake_writer_.notify_one();
  }
}

void SqliteSink::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  // Wait out a batch in flight, hand over what is left, and wait for it too.
  writer_idle_.wait(lock, [this] { return !writing_ && !handover_; });
  if (!filling_.empty() || !new_keys_.empty()) {
    handover_ = true;
    wake_writer_.notify_one();
    writer_idle_.wait(lock, [this] { return !writing_ && !handover_; });
  }
  last_handover_ = std::chrono::steady_clock::now();
  rethrow_writer_error();
}

void SqliteSink::checkpoint_saved(const std::string& path, int64_t epoch) {
  flush();  // the database then holds every point up to the checkpoint
  store_.record_checkpoint(run_id_, path, epoch);
}

void SqliteSink::run_ended(const RunEnded& outcome) {
  flush();
  store_.end_run(run_id_, outcome.status, outcome.error, outcome.steps, outcome.wall_seconds);
}

}  // namespace torchsweep
