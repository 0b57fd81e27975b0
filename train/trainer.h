// Trains one run from its resolved config and reports to a MetricSink.
// Knows nothing of SQL or sweeps: a failed or diverged run is returned as data.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "results/metric_sink.h"
#include "train/epoch_meter.h"

namespace torchsweep {

struct TrainOptions {
  /// Folder for this run's checkpoints (written as train.checkpoint_every says, and
  /// when the run is interrupted); empty: none.
  std::string checkpoint_dir;
  /// Continue from the latest checkpoint in checkpoint_dir when there is one.
  bool resume = false;
  /// Intra-op threads when the config leaves train.threads at 0 (0: the machine's
  /// cores). Parallel workers divide the cores this way without changing the config.
  int64_t default_threads = 0;
  /// When the loss sums and correct counts are read to the host: Auto defers them on
  /// CUDA (read every log_every steps and at an epoch's end) and reads them per step on
  /// the CPU. The recorded metrics are the same either way.
  MeterReads metric_reads = MeterReads::Auto;
  /// Tests: make any wait for the device inside a step an error (CUDA only).
  bool forbid_host_sync_in_steps = false;
  /// Train only up to here, then checkpoint and return Paused (a rung of an ASHA
  /// sweep, continued from that checkpoint when the run is promoted): optimizer steps
  /// done (pause_axis Step) or epochs completed (Epoch), counted from the run's start.
  /// 0: to the end of the budget.
  int64_t pause_at = 0;
  MetricAxis pause_axis = MetricAxis::Step;
};

struct TrainOutcome {
  RunStatus status = RunStatus::Finished;
  std::string error;
  int64_t steps = 0;
  double final_loss = 0.0;  ///< the last train/loss
  double wall_seconds = 0.0;
  int stop_signal = 0;      ///< the signal that interrupted the run, or 0
};

/// Runs the config's training to its end (finished, diverged or failed), or until
/// interrupt_signal() is set: then it checkpoints after the current step (when it
/// has a checkpoint_dir) and returns Interrupted. Ends it as Stopped when the sink's
/// stop_requested() says so after a logged row, and as Paused at options.pause_at.
/// Reports run_started, every logged row, progress, and run_ended to `sink`.
TrainOutcome train_run(const nlohmann::json& config, MetricSink& sink, const TrainOptions& options = {});

/// One run of a lane group: its resolved config, where it reports, and its checkpoint
/// folder ("" for none).
struct LaneSpec {
  nlohmann::json config;
  MetricSink* sink = nullptr;
  std::string checkpoint_dir;
};

/// Trains the runs of a lane group in this process at once, each lane an ordinary run
/// that records exactly what train_run records for it alone (its own model, optimizer,
/// schedule, data order and random numbers). A lane that ends (finished, diverged,
/// stopped, paused) leaves the group; the others go on. `options` apply to every lane,
/// except checkpoint_dir (each lane has its own); with `resume`, each lane continues
/// from its own latest checkpoint. One outcome per lane, in order.
std::vector<TrainOutcome> train_group(const std::vector<LaneSpec>& lanes, const TrainOptions& options = {});

}  // namespace torchsweep
