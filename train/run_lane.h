// One run as the host loop trains it: one optimizer step at a time, each followed by
// the work due after it (reads, the epoch's row, evaluation, the schedule, checkpoints,
// stops). train_run drives one lane to its end; train_group takes turns among the lanes
// of a group. Either way a lane does exactly the same work in the same order, which is
// why a run records the same numbers alone or grouped.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "results/metric_sink.h"
#include "train/trainer.h"

namespace torchsweep {

class RunLane {
 public:
  using Clock = std::chrono::steady_clock;

  /// `options.checkpoint_dir` is this run's folder ("" for none).
  RunLane(nlohmann::json config, MetricSink& sink, TrainOptions options);
  ~RunLane();
  RunLane(const RunLane&) = delete;
  RunLane& operator=(const RunLane&) = delete;

  /// Builds the run (threads, seed, model, data, optimizer, engine), continues it from
  /// its latest checkpoint when options.resume says so, and reports its start. The run
  /// may end here: failed to build, or paused at the rung its checkpoint is at.
  /// `started` is when its wall time begins.
  void start(Clock::time_point started);

  /// Trains one step and does the work due after it; the run ends where it ends
  /// (finished, diverged, failed, stopped, paused or interrupted), and it is reported
  /// ended to its sink then.
  void advance();

  bool ended() const { return ended_; }
  const TrainOutcome& outcome() const { return outcome_; }
  /// The device the run trains on (valid after start()).
  const torch::Device& device() const;

 private:
  struct Parts;  // what start() built

  void end(RunStatus status, std::string error);
  void diverge(const NonFiniteLoss& bad, double last_finite_loss);
  void open_epoch();
  void train_batch();

  nlohmann::json config_;
  MetricSink& sink_;
  TrainOptions options_;
  Clock::time_point started_;
  TrainOutcome outcome_;
  bool ended_ = false;
  std::unique_ptr<Parts> parts_;
};

}  // namespace torchsweep
