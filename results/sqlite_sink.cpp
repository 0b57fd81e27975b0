#include "results/sqlite_sink.h"

#include "results/run_queue.h"

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
  std::vector<MetricKey> keys;
  std::unique_lock<std::mutex> lock(mutex_);
  auto last_beat = std::chrono::steady_clock::now();
  while (true) {
    wake_writer_.wait_for(lock, options_.heartbeat_interval, [this] { return stop_ || handover_; });
    if (!handover_ && stop_) return;  // stopping, nothing left
    const auto now = std::chrono::steady_clock::now();
    if (now - last_beat >= options_.heartbeat_interval) {
      last_beat = now;
      lock.unlock();
      try {
        std::lock_guard<std::mutex> store_lock(store_.mutex());
        RunQueue(store_.db()).heartbeat(run_id_);
      } catch (...) {  // a missed heartbeat is not worth failing the run; the next one may pass
      }
      lock.lock();
    }
    if (!handover_) continue;
    handover_ = false;
    batch.swap(filling_);
    keys.swap(new_keys_);
    writing_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      std::lock_guard<std::mutex> store_lock(store_.mutex());
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
  environment_.engine = info.engine;
  environment_.engine_note = info.engine_note;
  std::lock_guard<std::mutex> store_lock(store_.mutex());
  store_.mark_running(run_id_, environment_);
}

void SqliteSink::engine_changed(const std::string& engine, const std::string& note) {
  std::lock_guard<std::mutex> store_lock(store_.mutex());
  store_.set_engine(run_id_, engine, note);
}

void SqliteSink::log(int64_t step, const MetricRow& row) { append(step, row, MetricAxis::Step); }

void SqliteSink::log_epoch(int64_t epoch, const MetricRow& row) { append(epoch, row, MetricAxis::Epoch); }

void SqliteSink::append(int64_t step, const MetricRow& row, MetricAxis axis) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  rethrow_writer_error();
  for (const auto& [key, value] : row) {
    if (known_keys_.insert(key).second) new_keys_.push_back({key, axis});
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
  std::lock_guard<std::mutex> store_lock(store_.mutex());
  store_.record_checkpoint(run_id_, path, epoch);
}

void SqliteSink::run_ended(const RunEnded& outcome) {
  flush();
  std::lock_guard<std::mutex> store_lock(store_.mutex());
  store_.end_run(run_id_, outcome.status, outcome.error, outcome.steps, outcome.wall_seconds);
}

}  // namespace torchsweep
