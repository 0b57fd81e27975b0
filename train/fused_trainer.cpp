#include "train/fused_trainer.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <map>

#include "base/interrupt.h"
#include "device/cuda_graph.h"
#include "device/devices.h"
#include "models/fused_model.h"
#include "models/lane_generators.h"
#include "optim/fused_sgd.h"
#include "optim/optimizers.h"
#include "train/batch_source.h"
#include "train/checkpoint.h"
#include "train/evaluation.h"
#include "train/run_parts.h"

namespace torchsweep {

std::string why_trained_alone(const nlohmann::json& config) {
  if (config.at("optimizer").at("name") != "sgd") return "its optimizer is not sgd";
  // A fused model's stacked weights are contiguous: its lanes would not be the runs.
  if (config.at("train").at("memory_format") != "contiguous") return "its train.memory_format is channels_last";
  return fusion_obstacle(config.at("model"));
}

std::string fusion_key(const nlohmann::json& config) {
  if (!why_trained_alone(config).empty()) return "";
  nlohmann::json shared = config;
  shared.erase("seed");
  for (const char* key : {"lr", "momentum", "dampening", "weight_decay"}) shared["optimizer"].erase(key);
  return shared.dump();
}

bool fused_lanes_exact(const nlohmann::json& config) {
  if (fusion_key(config).empty()) return false;
  try {
    return !resolve_device(config.at("device").get<std::string>()).is_cuda();
  } catch (const std::exception&) {  // a device this machine lacks
    return false;
  }
}

bool fuses(const std::string& setting, const nlohmann::json& config) {
  if (setting == "on") return !fusion_key(config).empty();
  // "auto": where a lane is exact and fusing pays, which no form is yet (see the header).
  return false;
}

std::string fusion_key_under(const std::string& setting, const nlohmann::json& config) {
  return fuses(setting, config) ? fusion_key(config) : "";
}

std::vector<std::vector<size_t>> fusion_groups(const std::vector<nlohmann::json>& configs, const std::string& setting) {
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> open;  // fusion key -> its group still taking runs
  for (size_t i = 0; i < configs.size(); ++i) {
    const std::string key = fusion_key_under(setting, configs[i]);
    auto found = key.empty() ? open.end() : open.find(key);
    if (found != open.end() && groups[found->second].size() < kMaxFusedLanes) {
      groups[found->second].push_back(i);
      continue;
    }
    if (!key.empty()) open[key] = groups.size();
    groups.push_back({i});
  }
  return groups;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

torch::optim::SGDOptions sgd_options(const nlohmann::json& o) {
  torch::optim::SGDOptions options(o.at("lr").get<double>());
  options.momentum(o.at("momentum").get<double>())
      .dampening(o.at("dampening").get<double>())
      .weight_decay(o.at("weight_decay").get<double>())
      .nesterov(o.at("nesterov").get<bool>());
  return options;
}

/// One run of the group: its own parts (a replica model, its data order, its
/// optimizer for checkpoints), meter and outcome.
struct Lane {
  RunParts run;
  MetricSink* sink = nullptr;
  std::string checkpoint_dir;
  std::unique_ptr<BatchSource> batches;
  std::unique_ptr<EpochMeter> meter;
  TrainOutcome outcome;
  bool active = true;
  Batch batch;
};

class FusedLoop {
 public:
  FusedLoop(std::vector<Lane>& lanes, FusedModel& model, FusedSGD& optimizer, LaneGenerators& generators,
            const TrainOptions& options)
      : lanes_(lanes),
        model_(model),
        optimizer_(optimizer),
        generators_(generators),
        options_(options),
        first_(lanes.front().run) {}

  /// Steps on a GPU go through a captured CUDA graph (after `warmup` uncaptured ones).
  void capture_steps(int64_t warmup) {
    capture_ = true;
    warmup_left_ = warmup;
    active_mask_ = torch::ones({static_cast<int64_t>(lanes_.size())},
                               torch::TensorOptions().dtype(torch::kBool).device(first_.device));
  }
  /// The engine the lanes record.
  std::string engine() const { return capture_ && fallback_.empty() ? "fused+cuda_graph" : "fused"; }

  void run(Clock::time_point started) {
    started_ = started;
    const TrainingPlan& plan = first_.plan;
    const int64_t per_epoch = first_.data->train_batches();
    const int64_t log_every = log_every_;
    for (auto& lane : lanes_)
      lane.sink->run_started({first_.device.str(), device_name(first_.device), 0, 0, engine(), engine_note_});
    int64_t steps = 0;
    for (int64_t epoch = 1; steps < plan.total_steps && any_active(); ++epoch) {
      const auto epoch_started = Clock::now();
      for (auto& lane : lanes_) {
        lane.batches->start_epoch(epoch);
        lane.meter->reset();
      }
      for (int64_t b = 0; b < per_epoch && steps < plan.total_steps && any_active(); ++b) {
        const int64_t step = steps;
        const bool log_now = step % log_every == 0 || step + 1 == plan.total_steps;
        train_step(b, step, log_now);
        ++steps;
        for (auto& lane : lanes_)
          if (lane.active) lane.outcome.steps = steps;
        if (first_.schedule && first_.schedule->per_step()) move_lr(steps);
        const double elapsed = seconds_since(epoch_started);
        for (auto& lane : lanes_) {
          if (!lane.active) continue;
          // Deferred meters (on a GPU) show the values of the last read.
          const EpochTotals& shown = lane.meter->deferred() ? lane.meter->last_read() : lane.meter->read();
          lane.sink->progress({epoch, plan.by_epochs ? plan.epochs : 0, b + 1, per_epoch, steps, plan.total_steps,
                               shown.mean_loss(), first_.data->classification() ? shown.accuracy() : -1.0,
                               elapsed > 0 ? static_cast<double>(lane.meter->samples_added()) / elapsed : 0.0, elapsed});
        }
        const bool epoch_end = b + 1 == per_epoch;
        const bool run_end = steps == plan.total_steps;
        const int signal = interrupt_signal();
        if (!epoch_end && !run_end && signal == 0 && !plan.evaluates(steps, epoch, false) &&
            !plan.checkpoints(steps, epoch, false))
          continue;
        after_step(epoch, b, steps, epoch_end, run_end, signal);
        if (signal != 0 && !run_end) return;
      }
    }
    for (auto& lane : lanes_)
      if (lane.active) finish(lane, RunStatus::Finished, "");
  }

  void set_log_every(int64_t every) { log_every_ = every; }
  void set_engine_note(std::string note) { engine_note_ = std::move(note); }

 private:
  std::vector<Lane>& lanes_;
  FusedModel& model_;
  FusedSGD& optimizer_;
  LaneGenerators& generators_;
  const TrainOptions& options_;
  const RunParts& first_;
  Clock::time_point started_;
  int64_t log_every_ = 1;
  std::string engine_note_;
  // The captured step (on a GPU): the graph, its static buffers, and which lanes still
  // train (a stopped lane's loss is masked out inside the graph).
  bool capture_ = false;
  int64_t warmup_left_ = 0;
  std::string fallback_;
  CudaGraph graph_;
  torch::Tensor active_mask_, inputs_, targets_, outputs_, stats_;

  bool any_active() const {
    for (const auto& lane : lanes_)
      if (lane.active) return true;
    return false;
  }

  void finish(Lane& lane, RunStatus status, std::string error) {
    lane.active = false;
    optimizer_.freeze(&lane - lanes_.data());
    if (active_mask_.defined()) active_mask_[&lane - lanes_.data()].fill_(false);
    lane.outcome.stop_signal = status == RunStatus::Interrupted ? interrupt_signal() : 0;
    lane.outcome.status = status;
    lane.outcome.error = std::move(error);
    lane.outcome.wall_seconds = seconds_since(started_);
    lane.sink->run_ended({lane.outcome.status, lane.outcome.error, lane.outcome.steps, lane.outcome.wall_seconds});
  }

  /// As train_run: the step where the loss stopped being finite is the lane's last point.
  void diverge(Lane& lane) {
    const NonFiniteLoss bad = *lane.meter->non_finite();
    lane.outcome.steps = bad.step;
    lane.outcome.final_loss = lane.meter->last_loss();
    lane.sink->log(bad.step, {{"train/loss", bad.loss}});
    finish(lane, RunStatus::Diverged,
           "train/loss became " + std::string(std::isnan(bad.loss) ? "nan" : "inf") + " at step " +
               std::to_string(bad.step));
  }

  void train_step(int64_t b, int64_t step, bool log_now) {
    std::vector<torch::Tensor> inputs, targets;
    for (auto& lane : lanes_) {
      lane.batch = lane.batches->batch(b);
      inputs.push_back(lane.batch.inputs);
      targets.push_back(lane.batch.targets);
    }
    const bool same_shape = !inputs_.defined() || (inputs_.size(1) == inputs.front().size(0));
    const bool reads_model = log_now && first_.model->reads_itself_at_logged_steps();
    if (capture_ && fallback_.empty() && same_shape && !reads_model) {
      if (warmup_left_ > 0) {
        --warmup_left_;
        CudaGraph::run_on_side_stream(first_.device, [&] { uncaptured_step(inputs, targets, step, log_now); });
        return;
      }
      if (captured_step(inputs, targets, step, log_now)) return;
    }
    uncaptured_step(inputs, targets, step, log_now);
  }

  /// Records lane k's batch (already added to its meter): reads the meter where the
  /// values are due (every step on the CPU; at logged steps on a GPU), ends the lane if
  /// its loss stopped being finite, and logs the step's row.
  void after_lane_step(size_t k, int64_t step, bool log_now, const torch::Tensor& inputs, const torch::Tensor& targets,
                       const torch::Tensor& outputs) {
    Lane& lane = lanes_[k];
    if (lane.meter->deferred() && !log_now) return;
    lane.meter->read();
    if (lane.meter->non_finite()) {
      diverge(lane);
      return;
    }
    lane.outcome.final_loss = lane.meter->last_loss();
    if (log_now) {
      model_.write_lane(static_cast<int64_t>(k), *lane.run.model);
      lane.sink->log(step, step_row(*lane.run.model, {inputs, targets, outputs, lane.meter->last_loss()}));
    }
  }

  /// The step replayed from a CUDA graph, captured at its first use; false when the
  /// capture failed (the lanes then record why, and every later step runs uncaptured).
  bool captured_step(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& targets, int64_t step,
                     bool log_now) {
    torch::NoGradGuard no_grad;
    const auto stacked_inputs = torch::stack(inputs), stacked_targets = torch::stack(targets);
    if (!inputs_.defined()) {
      inputs_ = torch::empty_like(stacked_inputs);
      targets_ = torch::empty_like(stacked_targets);
    }
    inputs_.copy_(stacked_inputs);
    targets_.copy_(stacked_targets);
    if (!graph_.captured()) {
      at::AutoGradMode grad(true);
      const bool classification = first_.data->classification();
      const std::string failed = graph_.capture(first_.device, [&] {
        const auto outputs = model_.forward(inputs_);
        std::vector<torch::Tensor> losses;
        for (size_t k = 0; k < lanes_.size(); ++k)
          losses.push_back(lanes_[k].run.loss(outputs[static_cast<int64_t>(k)], targets_[static_cast<int64_t>(k)]));
        const auto loss = torch::stack(losses);
        // A stopped lane adds no gradient: where() passes none to the masked branch
        // (a product with 0 would pass on a nan).
        const auto total = torch::where(active_mask_, loss, torch::zeros_like(loss)).sum();
        optimizer_.zero_grad();
        total.backward();
        optimizer_.step();
        torch::NoGradGuard no_grad_inside;
        outputs_ = outputs.detach();
        const auto correct = classification ? outputs_.argmax(2).eq(targets_).sum(1)
                                            : torch::zeros({loss.size(0)}, loss.options().dtype(torch::kInt64));
        stats_ = torch::stack({loss.detach().to(torch::kFloat64), correct.to(torch::kFloat64)}, 1);
      });
      if (!failed.empty()) {
        fallback_ = "the fused step could not be captured as a CUDA graph: " + failed;
        for (auto& lane : lanes_) lane.sink->engine_changed("fused", fallback_);
        return false;
      }
    }
    graph_.replay();
    const auto stats = stats_.clone();  // the next replay overwrites stats_
    const int64_t batch = inputs_.size(1);
    for (size_t k = 0; k < lanes_.size(); ++k) {
      if (!lanes_[k].active) continue;
      const auto lane = static_cast<int64_t>(k);
      lanes_[k].meter->add_counted(step, stats[lane][0], stats[lane][1], batch);
      after_lane_step(k, step, log_now, inputs_[lane], targets_[lane], outputs_[lane]);
    }
    return true;
  }

  void uncaptured_step(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& targets, int64_t step,
                       bool log_now) {
    // unbind: one autograd node whose backward stacks the lanes' gradients (a select
    // per lane would each add a zero-filled [K, ...] gradient to sum).
    const auto outputs = model_.forward(torch::stack(inputs)).unbind(0);
    std::vector<torch::Tensor> losses;
    torch::Tensor total;
    for (size_t k = 0; k < lanes_.size(); ++k) {
      losses.push_back(lanes_[k].run.loss(outputs[k], targets[k]));
      // A stopped lane still runs forward (its slot is part of the model) but adds no
      // gradient; its rate is 0 too.
      if (lanes_[k].active) total = total.defined() ? total + losses.back() : losses.back();
    }
    optimizer_.zero_grad();
    total.backward();
    for (size_t k = 0; k < lanes_.size(); ++k) {
      Lane& lane = lanes_[k];
      if (!lane.active) continue;
      const auto out = outputs[k].detach();
      lane.meter->add(step, losses[k].detach(), out, targets[k]);
      after_lane_step(k, step, log_now, lane.batch.inputs, targets[k], out);
    }
    optimizer_.step();
  }

  void move_lr(int64_t t) {
    for (size_t k = 0; k < lanes_.size(); ++k)
      if (lanes_[k].active)
        optimizer_.set_lr(static_cast<int64_t>(k), lanes_[k].run.schedule->lr_at(t, lanes_[k].run.base_lr));
  }

  std::string save(Lane& lane, size_t k, const CheckpointPosition& here) {
    model_.write_lane(static_cast<int64_t>(k), *lane.run.model);
    optimizer_.write_lane_state(static_cast<int64_t>(k), *lane.run.optimizer);
    set_lr(*lane.run.optimizer, optimizer_.lr(static_cast<int64_t>(k)));
    lane.sink->flush();  // as train_run: the points up to here before the checkpoint exists
    auto write = [&] {
      return save_checkpoint(lane.checkpoint_dir, *lane.run.model, *lane.run.optimizer, here, lane.run.device);
    };
    // Exact lanes draw from their own generators: the checkpoint keeps the lane's, as
    // its run alone's would. Grouped lanes draw from the default generator, whose state
    // is then the one that moved (the lane's own never did).
    if (!model_.exact()) return write();
    return generators_.in_lane(static_cast<int64_t>(k), write);
  }

  void after_step(int64_t epoch, int64_t b, int64_t steps, bool epoch_end, bool run_end, int signal) {
    const TrainingPlan& plan = first_.plan;
    const bool evaluate_now = plan.evaluates(steps, epoch, epoch_end);
    const bool checkpoint_now = plan.checkpoints(steps, epoch, epoch_end);
    for (size_t k = 0; k < lanes_.size(); ++k) {
      Lane& lane = lanes_[k];
      if (!lane.active) continue;
      const EpochTotals totals = lane.meter->read();
      if (lane.meter->non_finite()) {  // found at this read (deferred on a GPU)
        diverge(lane);
        continue;
      }
      lane.outcome.final_loss = lane.meter->last_loss();
      CheckpointPosition here = epoch_end ? CheckpointPosition{epoch, steps}
                                          : CheckpointPosition{epoch - 1, steps, b + 1, totals.loss_sum,
                                                               totals.correct, totals.samples};
      // As train_run: the work due after this step (an evaluation) that a stop leaves
      // undone is done first by the continued run.
      CheckpointPosition before_work{epoch - 1,     steps,          b + 1, totals.loss_sum,
                                     totals.correct, totals.samples, true};
      here.last_loss = before_work.last_loss = lane.outcome.final_loss;
      auto stop = [&](const CheckpointPosition& at) {
        if (!lane.checkpoint_dir.empty()) lane.sink->checkpoint_saved(save(lane, k, at), at.epoch);
        finish(lane, RunStatus::Interrupted, "stopped by " + signal_name(interrupt_signal()) + " after step " +
                                                 std::to_string(steps));
      };
      // As train_run: a stop that came during the step leaves a due evaluation to the
      // continued run, at an epoch's end and the run's end too; without one, an epoch's
      // end is done first and the last step's run is finished.
      const bool evaluation_due =
          evaluate_now && (lane.run.data->validation_batches() > 0 || lane.run.data->test_batches() > 0);
      if (signal != 0 && (evaluation_due || (!epoch_end && !run_end))) {
        stop(evaluation_due ? before_work : here);
        continue;
      }
      if (evaluate_now) model_.write_lane(static_cast<int64_t>(k), *lane.run.model);
      Dataset& data = *lane.run.data;
      if (plan.epoch_rows() && (epoch_end || run_end)) {
        MetricRow row;
        row.emplace_back("train/loss_epoch", totals.mean_loss());
        if (data.classification()) row.emplace_back("train/acc", totals.accuracy());
        if (evaluate_now && plan.evaluates_on_epochs() &&
            !evaluate_into(row, *lane.run.model, data, lane.run.loss, lane.run.device, options_.metric_reads)) {
          stop(before_work);  // cut short: no row; the continued run writes it whole
          continue;
        }
        row.emplace_back("lr", optimizer_.lr(static_cast<int64_t>(k)));
        row.emplace_back("train/steps", static_cast<double>(steps));
        lane.sink->log_epoch(epoch, row);
      }
      if (evaluate_now && !plan.evaluates_on_epochs()) {
        MetricRow row;
        if (!evaluate_into(row, *lane.run.model, data, lane.run.loss, lane.run.device, options_.metric_reads)) {
          stop(before_work);
          continue;
        }
        if (!row.empty()) lane.sink->log(steps, row);
      }
      if (lane.run.schedule && !lane.run.schedule->per_step() && epoch_end)
        optimizer_.set_lr(static_cast<int64_t>(k), lane.run.schedule->lr_at(epoch, lane.run.base_lr));
      const bool saved = checkpoint_now && !lane.checkpoint_dir.empty();
      if (saved) lane.sink->checkpoint_saved(save(lane, k, here), here.epoch);
      if (signal != 0 && !run_end) {
        if (!saved && !lane.checkpoint_dir.empty()) lane.sink->checkpoint_saved(save(lane, k, here), here.epoch);
        finish(lane, RunStatus::Interrupted, "stopped by " + signal_name(signal) + " after step " +
                                                 std::to_string(steps));
      }
    }
  }
};

}  // namespace

std::vector<TrainOutcome> train_fused(const std::vector<FusedLane>& specs, const TrainOptions& options,
                                      LaneForm form) {
  const auto started = Clock::now();
  std::vector<Lane> lanes(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    lanes[k].sink = specs[k].sink;
    lanes[k].checkpoint_dir = specs[k].checkpoint_dir;
  }
  // A failure ends every lane still training, as train_run's ends its run.
  auto fail_active = [&](const std::string& error) {
    for (auto& lane : lanes) {
      if (!lane.active) continue;
      lane.active = false;
      lane.outcome.status = RunStatus::Failed;
      lane.outcome.error = error;
      lane.outcome.wall_seconds = seconds_since(started);
      lane.sink->run_ended({RunStatus::Failed, error, lane.outcome.steps, lane.outcome.wall_seconds});
    }
  };
  auto outcomes = [&] {
    std::vector<TrainOutcome> out;
    for (const auto& lane : lanes) out.push_back(lane.outcome);
    return out;
  };
  try {
    std::vector<std::shared_ptr<Model>> replicas;
    std::vector<torch::optim::SGDOptions> settings;
    std::unique_ptr<LaneGenerators> generators;
    for (size_t k = 0; k < specs.size(); ++k) {
      lanes[k].run = build_run(specs[k].config, options.default_threads);
      auto& run = lanes[k].run;
      // Where the run alone would begin to draw: its seed set, its model built.
      if (!generators) generators = std::make_unique<LaneGenerators>(run.device);
      generators->add_lane_from_default();
      lanes[k].batches = std::make_unique<BatchSource>(*run.data, run.device, run.model->dtype(), run.seed);
      lanes[k].meter = std::make_unique<EpochMeter>(run.device, run.data->classification(), options.metric_reads);
      replicas.push_back(run.model);
      settings.push_back(sgd_options(specs[k].config.at("optimizer")));
    }
    if (lanes.front().run.data->train_batches() <= 0) {
      fail_active("the data set has no training batches");
      return outcomes();
    }
    Fusion fusion = fuse_models(replicas, form);
    if (!fusion.model) {  // each run on its own, as it would have trained unfused
      lanes.clear();
      replicas.clear();
      std::vector<TrainOutcome> out;
      for (const auto& spec : specs) {
        if (interrupt_signal() != 0) {  // not started: it waits for the sweep to continue
          TrainOutcome stopped;
          stopped.status = RunStatus::Interrupted;
          stopped.error = "stopped by " + signal_name(interrupt_signal()) + " before it started";
          stopped.stop_signal = interrupt_signal();
          spec.sink->run_ended({stopped.status, stopped.error, 0, 0.0});
          out.push_back(stopped);
          continue;
        }
        TrainOptions alone = options;
        alone.checkpoint_dir = spec.checkpoint_dir;
        alone.resume = false;
        out.push_back(train_run(spec.config, *spec.sink, alone));
      }
      return out;
    }
    fusion.model->train();
    fusion.model->draw_from(generators.get());
    FusedSGD optimizer(fusion.model->parameters(), settings);
    for (size_t k = 0; k < lanes.size(); ++k)
      if (lanes[k].run.schedule)
        optimizer.set_lr(static_cast<int64_t>(k), lanes[k].run.schedule->lr_at(0, lanes[k].run.base_lr));
    FusedLoop loop(lanes, *fusion.model, optimizer, *generators, options);
    const auto& train = specs.front().config.at("train");
    loop.set_log_every(train.at("log_every").get<int64_t>());
    const std::string graph = train.value("cuda_graph", "auto");
    const torch::Device& device = lanes.front().run.device;
    if (graph != "off" && device.is_cuda() && cuda_graphs_built())
      loop.capture_steps(/*warmup=*/3);
    else if (graph == "on" || (graph == "auto" && device.is_cuda()))
      loop.set_engine_note(std::string("not captured as a CUDA graph: ") +
                           (device.is_cuda() ? "this build's LibTorch has no CUDA"
                                             : "CUDA graphs need a CUDA device (this run is on " + device.str() + ")"));
    loop.run(started);
  } catch (const c10::Error& e) {
    fail_active(e.what_without_backtrace());
  } catch (const std::exception& e) {
    fail_active(e.what());
  }
  return outcomes();
}

}  // namespace torchsweep

namespace torchsweep {

// Until the one host loop replaces it: a group of fresh runs trains fused.
std::vector<TrainOutcome> train_group(const std::vector<LaneSpec>& lanes, const TrainOptions& options) {
  if (lanes.size() == 1) {
    TrainOptions alone = options;
    alone.checkpoint_dir = lanes.front().checkpoint_dir;
    return {train_run(lanes.front().config, *lanes.front().sink, alone)};
  }
  std::vector<FusedLane> fused;
  for (const auto& lane : lanes) fused.push_back({lane.config, lane.sink, lane.checkpoint_dir});
  return train_fused(fused, options);
}

}  // namespace torchsweep
