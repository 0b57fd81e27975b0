#include "results/sqlite_sink.h"

#include <algorithm>

#include "base/interrupt.h"
#include "results/run_queue.h"
#include "results/schema.h"

namespace torchsweep {

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment)
    : SqliteSink(store, run_id, std::move(environment), Options{}) {}

SqliteSink::SqliteSink(Store& store, int64_t run_id, RunEnvironment environment, Options options)
    : store_(store),
      run_id_(run_id),
      environment_(std::move(environment)),
      options_(options),
      last_handover_(std::chrono::steady_clock::now()) {
  {
    // Summaries kept while writing cover only this sink's points: a run that continues
    // (from a checkpoint, in another process) has its summaries computed from the table.
    std::lock_guard<std::mutex> store_lock(store_.mutex());
    summaries_exact_ = !store_.has_metrics(run_id_);
  }
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

template <class Write>
void SqliteSink::write_when_unlocked(Write&& write) {
  auto pause = std::chrono::milliseconds(50);
  while (true) {
    try {
      std::lock_guard<std::mutex> store_lock(store_.mutex());
      write();
      return;
    } catch (const DatabaseError& e) {
      // Another process held the lock past SQLite's busy timeout. The points are kept
      // and the write tried again: a lock is not a reason to lose a run. Once the
      // process is asked to stop (Ctrl-C, Slurm's time limit) it gives up instead of
      // outwaiting the lock.
      if (!e.is_busy() || interrupt_signal() != 0) throw;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, options_.locked_retry_max);
  }
}

void SqliteSink::write_pending() {
  // One metric's points together, in step order: the table's B-tree then grows at one
  // place per metric instead of jumping between them at every point.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const NumberedPoint& a, const NumberedPoint& b) { return a.key < b.key; });
  for (const auto& key : pending_keys_) written_names_.push_back(key.name);
  write_when_unlocked([&] { store_.append_metrics(run_id_, written_names_, pending_, pending_keys_); });
  pending_keys_.clear();
  while (summaries_.size() < written_names_.size()) summaries_.emplace_back(kSummaryLastK);
  for (const auto& p : pending_) summaries_[p.key].add(p.step, p.value);
  pending_.clear();
}

void SqliteSink::writer_loop() {
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
    pending_.swap(filling_);
    pending_keys_.swap(new_keys_);
    writing_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      write_pending();
    } catch (...) {
      error = std::current_exception();
      summaries_exact_ = false;  // the keys it named may not be in the table
      pending_.clear();
      pending_keys_.clear();
    }
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
  environment_.memory_format = info.memory_format;
  write_when_unlocked([&] { store_.mark_running(run_id_, environment_); });
}

void SqliteSink::engine_changed(const std::string& engine, const std::string& note) {
  write_when_unlocked([&] { store_.set_engine(run_id_, engine, note); });
}

void SqliteSink::log(int64_t step, const MetricRow& row) { append(step, row, MetricAxis::Step); }

void SqliteSink::log_epoch(int64_t epoch, const MetricRow& row) { append(epoch, row, MetricAxis::Epoch); }

uint32_t SqliteSink::number_of(const std::string& key, MetricAxis axis) {
  const auto [it, added] = numbers_.emplace(key, static_cast<uint32_t>(names_.size()));
  if (added) {
    names_.push_back(key);
    std::lock_guard<std::mutex> lock(mutex_);
    new_keys_.push_back({key, axis});
  }
  return it->second;
}

void SqliteSink::append(int64_t step, const MetricRow& row, MetricAxis axis) {
  // Number the row's metrics outside the lock; a row with the keys of the last one on
  // its axis (the usual case) costs a comparison per key.
  auto& numbers = last_row_[axis == MetricAxis::Step ? 0 : 1];
  bool same = numbers.size() == row.size();
  for (size_t i = 0; same && i < row.size(); ++i) same = names_[numbers[i]] == row[i].first;
  if (!same) {
    numbers.clear();
    for (const auto& point : row) numbers.push_back(number_of(point.first, axis));
  }
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  rethrow_writer_error();
  for (size_t i = 0; i < row.size(); ++i) filling_.push_back({numbers[i], step, row[i].second});
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
  write_when_unlocked([&] { store_.record_checkpoint(run_id_, path, epoch); });
}

void SqliteSink::run_ended(const RunEnded& outcome) {
  flush();
  // The writer is idle after flush: its summaries are complete and safe to read here.
  bool exact = summaries_exact_;
  MetricSummaries summaries;
  for (size_t k = 0; exact && k < summaries_.size(); ++k) {
    exact = summaries_[k].exact();
    summaries.emplace_back(written_names_[k], summaries_[k]);
  }
  write_when_unlocked([&] {
    store_.end_run(run_id_, outcome.status, outcome.error, outcome.steps, outcome.wall_seconds,
                   exact ? &summaries : nullptr);
  });
}

}  // namespace torchsweep
