#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <thread>

#include "base/interrupt.h"
#include "device/devices.h"
#include "optim/optimizers.h"
#include "spec/registries.h"
#include "spec/training_plan.h"
#include "train/checkpoint.h"

namespace torchsweep {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

enum class Split { Test, Validation };

/// Mean loss and accuracy over a held-out split, in eval mode without gradients.
EpochTotals evaluate(Model& model, Dataset& data, Split split, const LossFn& loss_fn, const torch::Device& device,
                     MeterReads reads) {
  torch::NoGradGuard no_grad;
  model.eval();
  EpochMeter meter(device, data.classification(), reads);
  const int64_t batches = split == Split::Test ? data.test_batches() : data.validation_batches();
  for (int64_t b = 0; b < batches; ++b) {
    const Batch batch = (split == Split::Test ? data.test_batch(b) : data.validation_batch(b)).to(device, model.dtype());
    const auto outputs = model.forward(batch.inputs);
    meter.add(b, loss_fn(outputs, batch.targets), outputs, batch.targets);
  }
  model.train();
  return meter.read();
}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

void configure_threads(const nlohmann::json& train, int64_t default_threads) {
  const auto threads = train.at("threads").get<int64_t>();
  const auto cores = default_threads > 0 ? default_threads
                                         : static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(static_cast<int>(threads > 0 ? threads : cores));
}

void configure_determinism(const nlohmann::json& train, const torch::Device& device) {
  const bool deterministic = train.at("deterministic").get<bool>();
  // LibTorch refuses deterministic mode on CUDA without a fixed cuBLAS workspace; the
  // torchsweep program fixes it at start, a program of the user's may not have.
  if (deterministic && device.is_cuda()) fix_cublas_workspace();
  at::globalContext().setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
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
    auto& reg = registries();
    const auto& train = config.at("train");
    configure_threads(train, options.default_threads);
    const auto seed = config.at("seed").get<uint64_t>();
    torch::manual_seed(seed);
    const torch::Device device = resolve_device(config.at("device").get<std::string>());
    configure_determinism(train, device);

    const auto& model_cfg = config.at("model");
    std::shared_ptr<Model> model = reg.models.get(model_cfg.at("name")).factory(model_cfg);
    model->to(device, model->dtype());
    model->train();
    const auto& data_cfg = config.at("data");
    std::unique_ptr<Dataset> data = reg.datasets.get(data_cfg.at("name")).factory(data_cfg);
    data->place_on(device);
    const auto& loss_cfg = config.at("loss");
    const LossFn loss_fn = reg.losses.get(loss_cfg.at("name")).factory(loss_cfg);
    const auto& opt_cfg = config.at("optimizer");
    auto optimizer = reg.optimizers.get(opt_cfg.at("name")).factory(model->parameters(), opt_cfg);
    const double base_lr = current_lr(*optimizer);

    const TrainingPlan plan = plan_training(config, data->train_batches());
    const int64_t per_epoch = data->train_batches();
    if (per_epoch <= 0) return finish(RunStatus::Failed, "the data set has no training batches");
    const int64_t total_steps = plan.total_steps;
    const int64_t log_every = train.at("log_every").get<int64_t>();

    std::unique_ptr<LrSchedule> schedule;
    if (config.contains("scheduler") && !config.at("scheduler").is_null()) {
      const auto& cfg = config.at("scheduler");
      schedule = reg.schedules.get(cfg.at("name")).factory(cfg, plan.schedule_context());
    }

    CheckpointPosition position;
    if (options.resume) {
      if (auto restored = load_checkpoint(options.checkpoint_dir, *model, *optimizer, device)) position = *restored;
    }
    outcome.steps = position.step;
    if (schedule) set_lr(*optimizer, schedule->lr_at(schedule->per_step() ? position.step : position.epoch, base_lr));
    sink.run_started({device.str(), device_name(device), position.step, position.epoch});

    // Evaluation of the held-out splits, into `row`.
    auto evaluate_into = [&](MetricRow& row) {
      if (data->validation_batches() > 0) {
        const EpochTotals val = evaluate(*model, *data, Split::Validation, loss_fn, device, options.metric_reads);
        row.emplace_back("val/loss", val.mean_loss());
        if (data->classification()) row.emplace_back("val/acc", val.accuracy());
      }
      if (data->test_batches() > 0) {
        const EpochTotals test = evaluate(*model, *data, Split::Test, loss_fn, device, options.metric_reads);
        row.emplace_back("test/loss", test.mean_loss());
        if (data->classification()) row.emplace_back("test/acc", test.accuracy());
      }
    };

    // Loss sums and correct counts stay on the device between reads (on CUDA), so a step
    // does not wait for the host; reads happen at logged steps, interrupts and epoch ends.
    EpochMeter meter(device, data->classification(), options.metric_reads);
    MetricRow row;
    for (int64_t epoch = position.epoch + 1; outcome.steps < total_steps; ++epoch) {
      const auto epoch_started = Clock::now();
      data->start_epoch(epoch, seed);  // the order depends on (seed, epoch) only, so a resumed epoch sees the same
      int64_t first_batch = 0;
      if (epoch == position.epoch + 1 && position.batch > 0) {  // resuming mid-epoch
        first_batch = position.batch;
        meter.reset({position.loss_sum, position.correct, position.samples});
      } else {
        meter.reset();
      }
      for (int64_t b = first_batch; b < per_epoch && outcome.steps < total_steps; ++b) {
        const int64_t step = outcome.steps;
        const bool log_now = step % log_every == 0 || step + 1 == total_steps;
        torch::Tensor inputs, targets, outputs, loss;
        {
          HostSyncCheck no_waiting(device, options.forbid_host_sync_in_steps);
          const Batch batch = data->train_batch(b).to(device, model->dtype());
          inputs = batch.inputs;
          targets = batch.targets;
          optimizer->zero_grad();
          outputs = model->forward(inputs);
          loss = loss_fn(outputs, targets);
          meter.add(step, loss, outputs, targets);
        }
        if (log_now) meter.read();
        if (const auto& bad = meter.non_finite()) return diverged(*bad, meter.last_loss());
        {
          HostSyncCheck no_waiting(device, options.forbid_host_sync_in_steps && !log_now);
          loss.backward();
          if (log_now) {
            outcome.final_loss = meter.last_loss();
            row.clear();
            model->append_step_metrics({inputs, targets, outputs, meter.last_loss()}, row);
            const bool has_loss =
                std::any_of(row.begin(), row.end(), [](const auto& kv) { return kv.first == "train/loss"; });
            if (!has_loss) row.insert(row.begin(), {"train/loss", meter.last_loss()});
            sink.log(step, row);
          }
          optimizer->step();
          ++outcome.steps;
          if (schedule && schedule->per_step()) set_lr(*optimizer, schedule->lr_at(outcome.steps, base_lr));
        }
        // Between reads the display shows the last values read.
        const EpochTotals& shown = meter.deferred() ? meter.last_read() : meter.read();
        const double elapsed = seconds_since(epoch_started);
        sink.progress({epoch, plan.by_epochs ? plan.epochs : 0, b + 1, per_epoch, outcome.steps, total_steps,
                       shown.mean_loss(), data->classification() ? shown.accuracy() : -1.0,
                       elapsed > 0 ? static_cast<double>(meter.samples_added()) / elapsed : 0.0, elapsed});

        const bool epoch_end = b + 1 == per_epoch;
        const bool run_end = outcome.steps == total_steps;
        const int signal = interrupt_signal();
        if (!epoch_end && !run_end && signal == 0 && !plan.evaluates(outcome.steps, epoch, false) &&
            !plan.checkpoints(outcome.steps, epoch, false))
          continue;

        // Something happens after this step: read the totals (a sync on CUDA) once.
        const EpochTotals totals = meter.read();
        if (const auto& bad = meter.non_finite()) return diverged(*bad, meter.last_loss());
        outcome.final_loss = meter.last_loss();
        const CheckpointPosition here = epoch_end ? CheckpointPosition{epoch, outcome.steps}
                                                  : CheckpointPosition{epoch - 1, outcome.steps, b + 1,
                                                                       totals.loss_sum, totals.correct, totals.samples};
        // Stop between steps: everything up to here is kept, and the run continues from
        // here. At an epoch's end the epoch is finished first, so it is recorded whole.
        auto stop = [&](bool saved) {
          if (!saved && !options.checkpoint_dir.empty())
            sink.checkpoint_saved(save_checkpoint(options.checkpoint_dir, *model, *optimizer, here, device),
                                  here.epoch);
          return finish(RunStatus::Interrupted,
                        "stopped by " + signal_name(signal) + " after step " + std::to_string(outcome.steps));
        };
        if (signal != 0 && !epoch_end && !run_end) return stop(false);
        const bool evaluate_now = plan.evaluates(outcome.steps, epoch, epoch_end);
        // The epoch axis: one row at each epoch's end (and where a step budget ends
        // inside an epoch), at step = the epoch's number.
        if (plan.epoch_rows() && (epoch_end || run_end)) {
          row.clear();
          row.emplace_back("train/loss_epoch", totals.mean_loss());
          if (data->classification()) row.emplace_back("train/acc", totals.accuracy());
          if (evaluate_now && plan.evaluates_on_epochs()) evaluate_into(row);
          row.emplace_back("lr", current_lr(*optimizer));  // the lr this epoch trained with
          row.emplace_back("train/steps", static_cast<double>(outcome.steps));  // where on the step axis it ended
          sink.log_epoch(epoch, row);
        }
        // The step axis: evaluations every N steps, or at the end of a step budget.
        if (evaluate_now && !plan.evaluates_on_epochs()) {
          row.clear();
          evaluate_into(row);
          if (!row.empty()) sink.log(outcome.steps, row);
        }
        // An epoch-based schedule advances at every epoch the run completes.
        if (schedule && !schedule->per_step() && epoch_end) set_lr(*optimizer, schedule->lr_at(epoch, base_lr));
        const bool checkpoint_now = !options.checkpoint_dir.empty() && plan.checkpoints(outcome.steps, epoch, epoch_end);
        if (checkpoint_now)
          sink.checkpoint_saved(save_checkpoint(options.checkpoint_dir, *model, *optimizer, here, device),
                                here.epoch);
        if (signal != 0 && !run_end) return stop(checkpoint_now);
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
