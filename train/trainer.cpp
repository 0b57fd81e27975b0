#include "train/trainer.h"

#include <chrono>
#include <csignal>
#include <cmath>

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

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// The step engine train.cuda_graph asks for, and why it is not that one ("" when it is
/// or nothing was asked: auto says nothing for runs off CUDA).
std::unique_ptr<StepEngine> choose_engine(const nlohmann::json& config, RunParts& run, std::string& note) {
  const std::string wanted = config.at("train").value("cuda_graph", "auto");
  if (wanted != "off") {
    const std::string obstacle = capture_obstacle(*run.optimizer, run.device);
    if (obstacle.empty())
      return std::make_unique<CapturedStep>(*run.model, *as_capturable(*run.optimizer), run.loss,
                                            run.data->classification(), run.device);
    if (wanted == "on" || run.device.is_cuda()) note = "not captured as a CUDA graph: " + obstacle;
  }
  return std::make_unique<EagerStep>(*run.model, *run.optimizer, run.loss);
}

}  // namespace

TrainOutcome train_run(const nlohmann::json& config, MetricSink& sink, const TrainOptions& options) {
  const auto started = Clock::now();
  TrainOutcome outcome;
  auto finish = [&](RunStatus status, std::string error) {
    outcome.stop_signal = status == RunStatus::Interrupted ? interrupt_signal() : 0;
    outcome.status = status;
    outcome.error = std::move(error);
    outcome.wall_seconds = seconds_since(started);
    sink.run_ended({outcome.status, outcome.error, outcome.steps, outcome.wall_seconds});
    return outcome;
  };
  // A non-finite loss ends the run at the step where it appeared: that step's loss is
  // its last point, nothing after it is recorded, and the final loss is the last finite
  // one. With deferred reads (CUDA) it is found at the next read, so the steps between
  // ran on nan or inf weights; their results are dropped, never recorded.
  auto diverged = [&](const NonFiniteLoss& bad, double last_finite_loss) {
    outcome.steps = bad.step;
    outcome.final_loss = last_finite_loss;
    sink.log(bad.step, {{"train/loss", bad.loss}});
    return finish(RunStatus::Diverged, "train/loss became " + std::string(std::isnan(bad.loss) ? "nan" : "inf") +
                                           " at step " + std::to_string(bad.step));
  };

  try {
    RunParts run = build_run(config, options.default_threads);
    const torch::Device device = run.device;
    Model& model = *run.model;
    Dataset& data = *run.data;
    torch::optim::Optimizer& optimizer = *run.optimizer;
    const TrainingPlan& plan = run.plan;
    LrSchedule* schedule = run.schedule.get();
    const int64_t per_epoch = data.train_batches();
    if (per_epoch <= 0) return finish(RunStatus::Failed, "the data set has no training batches");
    const int64_t total_steps = plan.total_steps;
    const int64_t log_every = config.at("train").at("log_every").get<int64_t>();
    BatchSource batches(data, device, model.dtype(), run.seed);
    std::string engine_note;
    const std::unique_ptr<StepEngine> engine = choose_engine(config, run, engine_note);
    const auto* captured = dynamic_cast<const CapturedStep*>(engine.get());
    bool fallback_reported = false;

    CheckpointPosition position;
    if (options.resume) {
      if (auto restored = load_checkpoint(options.checkpoint_dir, model, optimizer, device)) position = *restored;
    }
    outcome.steps = position.step;
    outcome.final_loss = position.last_loss;  // a continued run that trains no step ends with it
    if (schedule)
      set_lr(optimizer, schedule->lr_at(schedule->per_step() ? position.step : position.epoch, run.base_lr));
    sink.run_started(
        {device.str(), device_name(device), position.step, position.epoch, engine->name(), engine_note});
    // A run continued from a checkpoint at (or past) its rung — one interrupted during
    // its rung's step — waits there, and trains no further without a promotion.
    if (options.pause_at > 0 && !position.pending && outcome.steps < total_steps &&
        (options.pause_axis == MetricAxis::Step ? position.step >= options.pause_at
                                                : position.epoch >= options.pause_at))
      return finish(RunStatus::Paused, "paused at its rung, as its checkpoint was");

    // False when a stop cut the evaluation short (nothing is then added to `into`).
    auto evaluate_into = [&](MetricRow& into) {
      return torchsweep::evaluate_into(into, model, data, run.loss, device, options.metric_reads);
    };

    // Loss sums and correct counts stay on the device between reads (on CUDA), so a step
    // does not wait for the host; reads happen at logged steps, interrupts and epoch ends.
    EpochMeter meter(device, data.classification(), options.metric_reads);
    MetricRow row;
    // A stop that cut short the work due after a step (its evaluation) left that work
    // to do: the continued run does it first, as the step's own after-work, then trains on.
    bool pending = position.pending;
    for (int64_t epoch = position.epoch + 1; outcome.steps < total_steps || pending; ++epoch) {
      const auto epoch_started = Clock::now();
      batches.start_epoch(epoch);
      int64_t first_batch = 0;
      if (epoch == position.epoch + 1 && position.batch > 0) {  // resuming mid-epoch
        first_batch = pending ? position.batch - 1 : position.batch;
        meter.reset({position.loss_sum, position.correct, position.samples});
      } else {
        meter.reset();
      }
      for (int64_t b = first_batch; b < per_epoch && (outcome.steps < total_steps || pending); ++b) {
        // The step of the pending work was trained before the stop: only what follows it is left.
        const bool replay = pending;
        pending = false;
        if (!replay) {
          const int64_t step = outcome.steps;
          const bool log_now = step % log_every == 0 || step + 1 == total_steps;
          // A logged step: read its loss (a wait for the device) and, unless it is not
          // finite (the run then ends after this step), record the model's metrics of it.
          const StepEngine::BeforeUpdate log_step = [&](const torch::Tensor& inputs, const torch::Tensor& targets,
                                                        const torch::Tensor& outputs) {
            meter.read();
            if (meter.non_finite()) return;
            outcome.final_loss = meter.last_loss();
            sink.log(step, step_row(model, {inputs, targets, outputs, meter.last_loss()}));
          };
          {
            HostSyncCheck no_waiting(device, options.forbid_host_sync_in_steps && !log_now);
            engine->step(batches.batch(b), step, meter, log_now ? &log_step : nullptr);
          }
          if (captured && !fallback_reported && !captured->fallback_reason().empty()) {
            sink.engine_changed(engine->name(), captured->fallback_reason());
            fallback_reported = true;
          }
          if (const auto& bad = meter.non_finite()) return diverged(*bad, meter.last_loss());
          ++outcome.steps;
          if (schedule && schedule->per_step()) set_lr(optimizer, schedule->lr_at(outcome.steps, run.base_lr));
          // Between reads the display shows the last values read.
          const EpochTotals& shown = meter.deferred() ? meter.last_read() : meter.read();
          const double elapsed = seconds_since(epoch_started);
          sink.progress({epoch, plan.by_epochs ? plan.epochs : 0, b + 1, per_epoch, outcome.steps, total_steps,
                         shown.mean_loss(), data.classification() ? shown.accuracy() : -1.0,
                         elapsed > 0 ? static_cast<double>(meter.samples_added()) / elapsed : 0.0, elapsed});
        }

        // A sweep's early-stopping rule has judged the points just logged.
        if (!replay) {
          if (std::string why = sink.stop_requested(); !why.empty()) return finish(RunStatus::Stopped, why);
        }
        const bool epoch_end = b + 1 == per_epoch;
        const bool run_end = outcome.steps == total_steps;
        // A rung of an ASHA sweep: the run waits there, checkpointed, for its promotion.
        const bool pause_now = options.pause_at > 0 && !run_end &&
                               (options.pause_axis == MetricAxis::Step ? outcome.steps == options.pause_at
                                                                       : epoch_end && epoch == options.pause_at);
        const int signal = interrupt_signal();
        if (!replay && !epoch_end && !run_end && !pause_now && signal == 0 &&
            !plan.evaluates(outcome.steps, epoch, false) && !plan.checkpoints(outcome.steps, epoch, false))
          continue;

        // Something happens after this step: read the totals (a sync on CUDA) once.
        const EpochTotals totals = meter.read();
        if (const auto& bad = meter.non_finite()) return diverged(*bad, meter.last_loss());
        if (!replay) outcome.final_loss = meter.last_loss();
        // Where a continued run starts: after this step's work, or (pending) before it.
        CheckpointPosition after_work = epoch_end ? CheckpointPosition{epoch, outcome.steps}
                                                  : CheckpointPosition{epoch - 1, outcome.steps, b + 1,
                                                                       totals.loss_sum, totals.correct,
                                                                       totals.samples};
        CheckpointPosition before_work{epoch - 1,     outcome.steps,  b + 1, totals.loss_sum,
                                       totals.correct, totals.samples, true};
        after_work.last_loss = before_work.last_loss = outcome.final_loss;
        // Stop between steps: everything up to here is kept, and the run continues from
        // here. A stop that came during this step leaves the evaluation due after it (at
        // an epoch's end and at the run's end too) to the continued run, which does it
        // first: an evaluation of the whole test set takes seconds, and Ctrl-C stops
        // promptly. So a run stopped during its last step with an evaluation due is
        // recorded interrupted, and continuing it only evaluates. Otherwise an epoch's
        // end is done first (its row, the schedule), so the epoch is recorded whole, and
        // a run stopped during its last step is finished.
        // The points up to here reach the database before the checkpoint exists: a run
        // continued from it does not log them again.
        auto checkpoint = [&](const CheckpointPosition& here) {
          sink.flush();
          sink.checkpoint_saved(save_checkpoint(options.checkpoint_dir, model, optimizer, here, device), here.epoch);
        };
        // `saved`: the checkpoint is written already; else it is written at `here`.
        auto stop = [&](bool saved, const CheckpointPosition& here) {
          if (!saved && !options.checkpoint_dir.empty()) checkpoint(here);
          const int by = interrupt_signal();
          return finish(RunStatus::Interrupted,
                        "stopped by " + signal_name(by) + " after step " + std::to_string(outcome.steps));
        };
        const bool evaluate_now = plan.evaluates(outcome.steps, epoch, epoch_end);
        const bool evaluation_due = evaluate_now && (data.validation_batches() > 0 || data.test_batches() > 0);
        if (signal != 0 && evaluation_due) return stop(false, before_work);
        if (signal != 0 && !epoch_end && !run_end) return stop(false, after_work);
        // The epoch axis: one row at each epoch's end (and where a step budget ends
        // inside an epoch), at step = the epoch's number. An evaluation cut short by a
        // stop that came while it ran leaves the row unwritten: the continued run
        // writes it whole.
        if (plan.epoch_rows() && (epoch_end || run_end)) {
          row.clear();
          row.emplace_back("train/loss_epoch", totals.mean_loss());
          if (data.classification()) row.emplace_back("train/acc", totals.accuracy());
          if (evaluate_now && plan.evaluates_on_epochs() && !evaluate_into(row)) return stop(false, before_work);
          row.emplace_back("lr", current_lr(optimizer));  // the lr this epoch trained with
          row.emplace_back("train/steps", static_cast<double>(outcome.steps));  // where on the step axis it ended
          sink.log_epoch(epoch, row);
        }
        // The step axis: evaluations every N steps, or at the end of a step budget.
        if (evaluate_now && !plan.evaluates_on_epochs()) {
          row.clear();
          if (!evaluate_into(row)) return stop(false, before_work);
          if (!row.empty()) sink.log(outcome.steps, row);
        }
        // An epoch-based schedule advances at every epoch the run completes.
        if (schedule && !schedule->per_step() && epoch_end) set_lr(optimizer, schedule->lr_at(epoch, run.base_lr));
        const bool checkpoint_now = !options.checkpoint_dir.empty() && plan.checkpoints(outcome.steps, epoch, epoch_end);
        if (checkpoint_now) checkpoint(after_work);
        // A stop that came during this work (an evaluation's last batch, the checkpoint)
        // ends the run here too, not after one more step.
        // A stop the rule decided on this step's points is already recorded: it wins
        // over an interrupt that came meanwhile, as a pause at a rung does (the run is
        // checkpointed either way).
        if (std::string why = sink.stop_requested(); !why.empty()) return finish(RunStatus::Stopped, why);
        if (interrupt_signal() != 0 && !run_end && !pause_now) return stop(checkpoint_now, after_work);
        if (pause_now) {
          if (!checkpoint_now && !options.checkpoint_dir.empty()) checkpoint(after_work);
          return finish(RunStatus::Paused, "paused after " + (options.pause_axis == MetricAxis::Step
                                                                  ? "step " + std::to_string(outcome.steps)
                                                                  : "epoch " + std::to_string(epoch)));
        }
      }
    }
    return finish(RunStatus::Finished, "");
  } catch (const c10::Error& e) {
    // LibTorch's message, without the C++ backtrace it appends (kilobytes of frames
    // that say nothing to the user and bury the message in runs.error).
    return finish(RunStatus::Failed, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return finish(RunStatus::Failed, e.what());
  }
}

}  // namespace torchsweep
