#include "train/run_lane.h"

#include <cmath>
#include <csignal>
#include <optional>

#include "base/interrupt.h"
#include "device/devices.h"
#include "optim/capturable.h"
#include "optim/optimizers.h"
#include "spec/training_plan.h"
#include "train/batch_source.h"
#include "train/captured_step.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"
#include "train/run_parts.h"
#include "train/step_engine.h"

namespace torchsweep {

namespace {

double seconds_since(RunLane::Clock::time_point start) {
  return std::chrono::duration<double>(RunLane::Clock::now() - start).count();
}

/// The step engine train.cuda_graph asks for, and why it is not that one ("" when it is
/// or nothing was asked: auto says nothing for runs off CUDA).
std::unique_ptr<StepEngine> choose_engine(const nlohmann::json& config, RunParts& run, std::string& note) {
  const std::string wanted = config.at("train").value("cuda_graph", "auto");
  if (wanted != "off") {
    const std::string obstacle = capture_obstacle(*run.optimizer, run.device);
    if (obstacle.empty())
      return std::make_unique<CapturedStep>(*run.model, *as_capturable(*run.optimizer), run.loss,
                                            run.data->classification(), run.device, CapturedStep::Capture::Cuda,
                                            /*warmup_steps=*/3, run.precision);
    if (wanted == "on" || run.device.is_cuda()) note = "not captured as a CUDA graph: " + obstacle;
  }
  return std::make_unique<EagerStep>(*run.model, *run.optimizer, run.loss, run.precision);
}

}  // namespace

struct RunLane::Parts {
  RunParts run;
  std::unique_ptr<StepEngine> engine;
  const CapturedStep* captured = nullptr;  ///< engine, when it is one (its fallback is reported)
  bool fallback_reported = false;
  std::unique_ptr<BatchSource> batches;
  std::unique_ptr<EpochMeter> meter;
  int64_t per_epoch = 0;
  int64_t log_every = 1;
  CheckpointPosition position;  ///< where the run started (its checkpoint's, or zero)
  // Where the loop is: the epoch being trained (0 before the first is opened), the next
  // batch of it, and whether the work due after the step before a stop is still to do
  // (a continued run does it first, as the step's own after-work, then trains on).
  int64_t epoch = 0;
  int64_t batch = 0;
  bool epoch_open = false;
  bool pending = false;
  Clock::time_point epoch_started;
  MetricRow row;
};

RunLane::RunLane(nlohmann::json config, MetricSink& sink, TrainOptions options)
    : config_(std::move(config)), sink_(sink), options_(std::move(options)) {}

RunLane::~RunLane() = default;

const torch::Device& RunLane::device() const { return parts_->run.device; }

void RunLane::end(RunStatus status, std::string error) {
  outcome_.stop_signal = status == RunStatus::Interrupted ? interrupt_signal() : 0;
  outcome_.status = status;
  outcome_.error = std::move(error);
  outcome_.wall_seconds = seconds_since(started_);
  ended_ = true;
  sink_.run_ended({outcome_.status, outcome_.error, outcome_.steps, outcome_.wall_seconds});
}

// A non-finite loss ends the run at the step where it appeared: that step's loss is its
// last point, nothing after it is recorded, and the final loss is the last finite one.
// With deferred reads (CUDA) it is found at the next read, so the steps between ran on
// nan or inf weights; their results are dropped, never recorded.
void RunLane::diverge(const NonFiniteLoss& bad, double last_finite_loss) {
  outcome_.steps = bad.step;
  outcome_.final_loss = last_finite_loss;
  sink_.log(bad.step, {{"train/loss", bad.loss}});
  end(RunStatus::Diverged, "train/loss became " + std::string(std::isnan(bad.loss) ? "nan" : "inf") + " at step " +
                               std::to_string(bad.step));
}

void RunLane::start(Clock::time_point started) {
  started_ = started;
  try {
    parts_ = std::make_unique<Parts>();
    Parts& p = *parts_;
    p.run = build_run(config_, options_.default_threads);
    RunParts& run = p.run;
    p.per_epoch = run.data->train_batches();
    if (p.per_epoch <= 0) return end(RunStatus::Failed, "the data set has no training batches");
    p.log_every = config_.at("train").at("log_every").get<int64_t>();
    p.batches = std::make_unique<BatchSource>(*run.data, run.device, run.model->dtype(), run.seed);
    std::string engine_note;
    p.engine = choose_engine(config_, run, engine_note);
    p.captured = dynamic_cast<const CapturedStep*>(p.engine.get());
    if (options_.resume) {
      if (auto restored = load_checkpoint(options_.checkpoint_dir, *run.model, *run.optimizer, run.device,
                                          p.engine->grad_scaler()))
        p.position = *restored;
    }
    outcome_.steps = p.position.step;
    outcome_.final_loss = p.position.last_loss;  // a continued run that trains no step ends with it
    if (run.schedule)
      set_lr(*run.optimizer,
             run.schedule->lr_at(run.schedule->per_step() ? p.position.step : p.position.epoch, run.base_lr));
    sink_.run_started({run.device.str(), device_name(run.device), p.position.step, p.position.epoch,
                       p.engine->name(), engine_note, run.memory_format});
    p.meter = std::make_unique<EpochMeter>(run.device, run.data->classification(), options_.metric_reads);
    p.epoch = p.position.epoch;
    p.pending = p.position.pending;
    // A run continued from a checkpoint at (or past) its rung — one interrupted during
    // its rung's step — waits there, and trains no further without a promotion.
    if (options_.pause_at > 0 && !p.position.pending && outcome_.steps < run.plan.total_steps &&
        (options_.pause_axis == MetricAxis::Step ? p.position.step >= options_.pause_at
                                                 : p.position.epoch >= options_.pause_at))
      return end(RunStatus::Paused, "paused at its rung, as its checkpoint was");
    if (outcome_.steps >= run.plan.total_steps && !p.pending) end(RunStatus::Finished, "");
  } catch (const c10::Error& e) {
    // LibTorch's message, without the C++ backtrace it appends (kilobytes of frames
    // that say nothing to the user and bury the message in runs.error).
    end(RunStatus::Failed, e.what_without_backtrace());
  } catch (const std::exception& e) {
    end(RunStatus::Failed, e.what());
  }
}

void RunLane::advance() {
  if (ended_) return;
  try {
    Parts& p = *parts_;
    if (!p.epoch_open) open_epoch();
    train_batch();
    if (ended_) return;
    if (++p.batch == p.per_epoch) p.epoch_open = false;
    if (outcome_.steps >= p.run.plan.total_steps && !p.pending) end(RunStatus::Finished, "");
  } catch (const c10::Error& e) {
    end(RunStatus::Failed, e.what_without_backtrace());
  } catch (const std::exception& e) {
    end(RunStatus::Failed, e.what());
  }
}

void RunLane::open_epoch() {
  Parts& p = *parts_;
  const bool continued = p.epoch == p.position.epoch && p.position.batch > 0;  // resuming mid-epoch
  ++p.epoch;
  p.epoch_open = true;
  p.epoch_started = Clock::now();
  p.batches->start_epoch(p.epoch);
  if (continued) {
    p.batch = p.pending ? p.position.batch - 1 : p.position.batch;
    p.meter->reset({p.position.loss_sum, p.position.correct, p.position.samples});
    p.position.batch = 0;  // the next epoch starts at its first batch
  } else {
    p.batch = 0;
    p.meter->reset();
  }
}

void RunLane::train_batch() {
  Parts& p = *parts_;
  RunParts& run = p.run;
  Model& model = *run.model;
  Dataset& data = *run.data;
  torch::optim::Optimizer& optimizer = *run.optimizer;
  const TrainingPlan& plan = run.plan;
  LrSchedule* schedule = run.schedule.get();
  EpochMeter& meter = *p.meter;
  const torch::Device device = run.device;
  const int64_t total_steps = plan.total_steps;
  const int64_t epoch = p.epoch;
  const int64_t b = p.batch;

  // The step of the pending work was trained before the stop: only what follows it is left.
  const bool replay = p.pending;
  p.pending = false;
  if (!replay) {
    const int64_t step = outcome_.steps;
    const bool log_now = step % p.log_every == 0 || step + 1 == total_steps;
    // A logged step: read its loss (a wait for the device) and, unless it is not finite
    // (the run then ends after this step), record the model's metrics of it.
    const StepEngine::BeforeUpdate log_step = [&](const torch::Tensor& inputs, const torch::Tensor& targets,
                                                  const torch::Tensor& outputs) {
      meter.read();
      if (meter.non_finite()) return;
      outcome_.final_loss = meter.last_loss();
      sink_.log(step, step_row(model, {inputs, targets, outputs, meter.last_loss()}));
    };
    {
      HostSyncCheck no_waiting(device, options_.forbid_host_sync_in_steps && !log_now);
      p.engine->step(p.batches->batch(b), step, meter, log_now ? &log_step : nullptr);
    }
    if (p.captured && !p.fallback_reported && !p.captured->fallback_reason().empty()) {
      sink_.engine_changed(p.engine->name(), p.captured->fallback_reason());
      p.fallback_reported = true;
    }
    if (const auto& bad = meter.non_finite()) return diverge(*bad, meter.last_loss());
    ++outcome_.steps;
    if (schedule && schedule->per_step()) set_lr(optimizer, schedule->lr_at(outcome_.steps, run.base_lr));
    // Between reads the display shows the last values read.
    const EpochTotals& shown = meter.deferred() ? meter.last_read() : meter.read();
    const double elapsed = seconds_since(p.epoch_started);
    sink_.progress({epoch, plan.by_epochs ? plan.epochs : 0, b + 1, p.per_epoch, outcome_.steps, total_steps,
                    shown.mean_loss(), data.classification() ? shown.accuracy() : -1.0,
                    elapsed > 0 ? static_cast<double>(meter.samples_added()) / elapsed : 0.0, elapsed});
    // A sweep's early-stopping rule has judged the points just logged.
    if (std::string why = sink_.stop_requested(); !why.empty()) return end(RunStatus::Stopped, why);
  }

  const bool epoch_end = b + 1 == p.per_epoch;
  const bool run_end = outcome_.steps == total_steps;
  // A rung of an ASHA sweep: the run waits there, checkpointed, for its promotion.
  const bool pause_now = options_.pause_at > 0 && !run_end &&
                         (options_.pause_axis == MetricAxis::Step ? outcome_.steps == options_.pause_at
                                                                  : epoch_end && epoch == options_.pause_at);
  const int signal = interrupt_signal();
  if (!replay && !epoch_end && !run_end && !pause_now && signal == 0 && !plan.evaluates(outcome_.steps, epoch, false) &&
      !plan.checkpoints(outcome_.steps, epoch, false))
    return;

  // Something happens after this step: read the totals (a sync on CUDA) once.
  const EpochTotals totals = meter.read();
  if (const auto& bad = meter.non_finite()) return diverge(*bad, meter.last_loss());
  if (!replay) outcome_.final_loss = meter.last_loss();
  // Where a continued run starts: after this step's work, or (pending) before it.
  CheckpointPosition after_work =
      epoch_end ? CheckpointPosition{epoch, outcome_.steps}
                : CheckpointPosition{epoch - 1, outcome_.steps, b + 1, totals.loss_sum, totals.correct, totals.samples};
  CheckpointPosition before_work{epoch - 1, outcome_.steps, b + 1, totals.loss_sum, totals.correct, totals.samples,
                                 true};
  after_work.last_loss = before_work.last_loss = outcome_.final_loss;
  // Stop between steps: everything up to here is kept, and the run continues from here.
  // A stop that came during this step leaves the evaluation due after it (at an epoch's
  // end and at the run's end too) to the continued run, which does it first: an
  // evaluation of the whole test set takes seconds, and Ctrl-C stops promptly. So a run
  // stopped during its last step with an evaluation due is recorded interrupted, and
  // continuing it only evaluates. Otherwise an epoch's end is done first (its row, the
  // schedule), so the epoch is recorded whole, and a run stopped during its last step is
  // finished.
  // The points up to here reach the database before the checkpoint exists: a run
  // continued from it does not log them again.
  auto checkpoint = [&](const CheckpointPosition& here) {
    sink_.flush();
    sink_.checkpoint_saved(
        save_checkpoint(options_.checkpoint_dir, model, optimizer, here, device, p.engine->grad_scaler()), here.epoch);
  };
  // `saved`: the checkpoint is written already; else it is written at `here`.
  auto stop = [&](bool saved, const CheckpointPosition& here) {
    if (!saved && !options_.checkpoint_dir.empty()) checkpoint(here);
    end(RunStatus::Interrupted,
        "stopped by " + signal_name(interrupt_signal()) + " after step " + std::to_string(outcome_.steps));
  };
  // False when a stop cut the evaluation short (nothing is then added to `into`).
  auto evaluate_into = [&](MetricRow& into) {
    return torchsweep::evaluate_into(into, model, data, run.loss, device, options_.metric_reads, run.precision);
  };
  const bool evaluate_now = plan.evaluates(outcome_.steps, epoch, epoch_end);
  const bool evaluation_due = evaluate_now && (data.validation_batches() > 0 || data.test_batches() > 0);
  if (signal != 0 && evaluation_due) return stop(false, before_work);
  if (signal != 0 && !epoch_end && !run_end) return stop(false, after_work);
  // The epoch axis: one row at each epoch's end (and where a step budget ends inside an
  // epoch), at step = the epoch's number. An evaluation cut short by a stop that came
  // while it ran leaves the row unwritten: the continued run writes it whole.
  MetricRow& row = p.row;
  if (plan.epoch_rows() && (epoch_end || run_end)) {
    row.clear();
    row.emplace_back("train/loss_epoch", totals.mean_loss());
    if (data.classification()) row.emplace_back("train/acc", totals.accuracy());
    if (evaluate_now && plan.evaluates_on_epochs() && !evaluate_into(row)) return stop(false, before_work);
    row.emplace_back("lr", current_lr(optimizer));                          // the lr this epoch trained with
    row.emplace_back("train/steps", static_cast<double>(outcome_.steps));  // where on the step axis it ended
    sink_.log_epoch(epoch, row);
  }
  // The step axis: evaluations every N steps, or at the end of a step budget.
  if (evaluate_now && !plan.evaluates_on_epochs()) {
    row.clear();
    if (!evaluate_into(row)) return stop(false, before_work);
    if (!row.empty()) sink_.log(outcome_.steps, row);
  }
  // An epoch-based schedule advances at every epoch the run completes.
  if (schedule && !schedule->per_step() && epoch_end) set_lr(optimizer, schedule->lr_at(epoch, run.base_lr));
  const bool checkpoint_now = !options_.checkpoint_dir.empty() && plan.checkpoints(outcome_.steps, epoch, epoch_end);
  if (checkpoint_now) checkpoint(after_work);
  // A stop that came during this work (an evaluation's last batch, the checkpoint) ends
  // the run here too, not after one more step. A stop the rule decided on this step's
  // points is already recorded: it wins over an interrupt that came meanwhile, as a
  // pause at a rung does (the run is checkpointed either way).
  if (std::string why = sink_.stop_requested(); !why.empty()) return end(RunStatus::Stopped, why);
  if (interrupt_signal() != 0 && !run_end && !pause_now) return stop(checkpoint_now, after_work);
  if (pause_now) {
    if (!checkpoint_now && !options_.checkpoint_dir.empty()) checkpoint(after_work);
    return end(RunStatus::Paused, "paused after " + (options_.pause_axis == MetricAxis::Step
                                                          ? "step " + std::to_string(outcome_.steps)
                                                          : "epoch " + std::to_string(epoch)));
  }
}

}  // namespace torchsweep
