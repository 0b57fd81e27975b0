#include "train/lr_finder.h"

#include <torch/torch.h>

#include <ATen/Context.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>

#include "base/error.h"
#include "base/interrupt.h"
#include "base/number_text.h"
#include "device/devices.h"
#include "optim/schedules.h"
#include "train/batch_source.h"
#include "train/epoch_meter.h"
#include "train/run_parts.h"
#include "train/step_engine.h"

namespace torchsweep {

namespace {

/// A number for the messages the command prints.
std::string shown(double value) { return readable_number(value); }

/// Where the test's state is kept while it runs: copies, not references, of every
/// parameter and buffer, the optimizer serialized (its per-parameter state holds
/// tensors the steps update in place, which a shallow copy would share) with its
/// groups' options, and torch's generators (dropout draws from them).
class SavedState {
 public:
  explicit SavedState(RunParts& run) : run_(run) {
    torch::NoGradGuard no_grad;
    for (const auto& t : run.model->parameters()) {
      tensors_.push_back(t.detach().clone());
      grads_.push_back(t.grad().defined() ? t.grad().detach().clone() : torch::Tensor());
    }
    for (const auto& t : run.model->buffers()) tensors_.push_back(t.detach().clone());
    torch::serialize::OutputArchive archive;
    run.optimizer->save(archive);
    archive.save_to(optimizer_bytes_);
    for (const auto& group : run.optimizer->param_groups()) options_.push_back(group.options().clone());
    cpu_rng_ = generator_state(torch::Device(torch::kCPU));
    if (run.device.is_cuda()) cuda_rng_ = generator_state(run.device);
  }

  /// Puts everything back as it was. The parameters keep their storage (copied into,
  /// not replaced), so whatever holds them (a captured graph, the optimizer) still does.
  void restore() {
    {
      torch::NoGradGuard no_grad;
      size_t k = 0;
      for (auto& t : run_.model->parameters()) {
        t.copy_(tensors_[k]);
        // Gradients as they were: none where there was none.
        t.mutable_grad() = grads_[k].defined() ? grads_[k].clone() : torch::Tensor();
        ++k;
      }
      for (auto& t : run_.model->buffers()) t.copy_(tensors_[k++]);
    }
    // Loading keeps state it does not mention (the moments a test step created for an
    // optimizer that had none), so the state is cleared first.
    run_.optimizer->state().clear();
    std::istringstream in(optimizer_bytes_.str());
    torch::serialize::InputArchive archive;
    archive.load_from(in, run_.device);
    run_.optimizer->load(archive);
    // Loading does not read the groups' options (the rate among them) back.
    auto& groups = run_.optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(options_[g]->clone());
    set_generator_state(torch::Device(torch::kCPU), cpu_rng_);
    if (cuda_rng_.defined()) set_generator_state(run_.device, cuda_rng_);
  }

 private:
  static at::Generator generator_of(const torch::Device& device) {
    if (device.is_cuda())
      return at::globalContext().defaultGenerator(
          torch::Device(torch::kCUDA, device.has_index() ? device.index() : 0));
    return at::globalContext().defaultGenerator(torch::Device(torch::kCPU));
  }
  static torch::Tensor generator_state(const torch::Device& device) {
    at::Generator generator = generator_of(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
  }
  static void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
    at::Generator generator = generator_of(device);
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
  }

  RunParts& run_;
  std::vector<torch::Tensor> tensors_;
  std::vector<torch::Tensor> grads_;  ///< per parameter; undefined where it had none
  std::ostringstream optimizer_bytes_;
  std::vector<std::unique_ptr<torch::optim::OptimizerOptions>> options_;
  torch::Tensor cpu_rng_, cuda_rng_;
};

/// The points the suggestions are read from, as fastai's lr_find slices its recorder:
/// [steps/10, size − 5); every point when that leaves fewer than two.
std::pair<size_t, size_t> suggestion_window(size_t size, int64_t steps) {
  const size_t begin = static_cast<size_t>(std::max<int64_t>(0, steps / 10));
  const size_t end = size >= 5 ? size - 5 : 0;
  if (end > begin && end - begin >= 2) return {begin, end};
  return {0, size};
}

}  // namespace

std::string lr_find_options_error(const LrFindOptions& o) {
  if (!(std::isfinite(o.start_lr) && o.start_lr > 0))
    return "--start " + shown(o.start_lr) + ": expected a rate above 0";
  if (!(std::isfinite(o.end_lr) && o.end_lr > 0)) return "--end " + shown(o.end_lr) + ": expected a rate above 0";
  if (o.start_lr >= o.end_lr)
    return "--start " + shown(o.start_lr) + ": expected a rate below --end (" + shown(o.end_lr) + ")";
  if (o.steps < 2) return "--steps " + std::to_string(o.steps) + ": expected 2 steps or more";
  if (!(std::isfinite(o.stop_factor) && (o.stop_factor > 1 || o.stop_factor == 0)))
    return "--stop-factor " + shown(o.stop_factor) + ": expected a factor above 1 (or 0: never stop on the loss)";
  if (!(o.beta >= 0 && o.beta < 1)) return "beta " + shown(o.beta) + ": expected a weight in [0, 1)";
  return "";
}

double lr_find_rate(const LrFindOptions& o, int64_t i) {
  if (i <= 0) return o.start_lr;
  if (i >= o.steps - 1) return o.end_lr;  // exactly, not to rounding
  return o.start_lr * std::pow(o.end_lr / o.start_lr, static_cast<double>(i) / static_cast<double>(o.steps - 1));
}

double SmoothedLoss::add(double loss) {
  average_ = beta_ * average_ + (1.0 - beta_) * loss;
  beta_power_ *= beta_;
  return average_ / (1.0 - beta_power_);
}

LrSuggestions suggest_lrs(const std::vector<double>& all_lrs, const std::vector<double>& all_losses) {
  // Up to the first loss that is not a number, as fastai cuts; inf is cut too (its
  // slopes are not numbers either).
  size_t n = std::min(all_lrs.size(), all_losses.size());
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(all_losses[i]) || !(all_lrs[i] > 0)) {
      n = i;
      break;
    }
  LrSuggestions out;
  if (n < 2) return out;
  const std::vector<double> lrs(all_lrs.begin(), all_lrs.begin() + static_cast<std::ptrdiff_t>(n));
  const std::vector<double> losses(all_losses.begin(), all_losses.begin() + static_cast<std::ptrdiff_t>(n));
  // The rate of the point whose rate is nearest `lr`: where fastai marks a suggestion.
  auto mark = [&](double suggested, double marked_lr) {
    size_t nearest = 0;
    for (size_t i = 1; i < n; ++i)
      if (std::abs(lrs[i] - marked_lr) < std::abs(lrs[nearest] - marked_lr)) nearest = i;
    return LrSuggestion{suggested, marked_lr, losses[nearest]};
  };

  // minimum: the first lowest point's rate / 10.
  const size_t lowest = static_cast<size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
  out.minimum = mark(lrs[lowest] / 10.0, lrs[lowest]);

  // steep: the most negative slope of loss against log(rate), at its segment's left end.
  size_t steepest = 0;
  double steepest_slope = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < n; ++i) {
    const double slope = (losses[i + 1] - losses[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
    if (slope < steepest_slope) {
      steepest_slope = slope;
      steepest = i;
    }
  }
  out.steep = mark(lrs[steepest], lrs[steepest]);

  // valley, step for step as fastai computes it: lds[i] is the length of the longest
  // decreasing run of points ending at i; the longest one found first wins, its start
  // taken as max_end − lds[max_end] (one before its first point, as fastai has it).
  std::vector<int64_t> lds(n, 1);
  int64_t max_start = 0, max_end = 0;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[static_cast<size_t>(max_end)] < lds[i]) {
        max_end = static_cast<int64_t>(i);
        max_start = max_end - lds[static_cast<size_t>(max_end)];
      }
    }
  }
  const double sections = static_cast<double>(max_end - max_start) / 3.0;
  int64_t idx = max_start + static_cast<int64_t>(sections) + static_cast<int64_t>(sections / 2.0);
  // A valley from the very first point starts "before" it (-1): where fastai's Python
  // would wrap around to the last point, the first is taken.
  idx = std::clamp<int64_t>(idx, 0, static_cast<int64_t>(n) - 1);
  out.valley = mark(lrs[static_cast<size_t>(idx)], lrs[static_cast<size_t>(idx)]);
  return out;
}

const char* to_string(LrFindStop stop) {
  switch (stop) {
    case LrFindStop::Completed: return "completed";
    case LrFindStop::Diverged: return "diverged";
    case LrFindStop::NonFinite: return "non_finite";
    case LrFindStop::Interrupted: return "interrupted";
  }
  return "completed";
}

std::pair<double, double> suggested_range(const LrSuggestions& s, const LrFindOptions& options) {
  if (!s.minimum || !s.steep || !s.valley) return {0.0, 0.0};
  const double high = std::clamp(s.minimum->marked_lr, options.start_lr, options.end_lr);
  double low = std::clamp(std::min(s.minimum->lr, s.steep->lr) / 10.0, options.start_lr, options.end_lr);
  if (low >= high) low = std::max(options.start_lr, high / 100.0);
  // A curve whose lowest point is its first: nothing below start_lr to offer.
  if (low >= high) return {high, high};
  return {low, high};
}

LrFindResult run_lr_range_test(const LrFindOptions& options,
                               const std::function<double(int64_t step, double lr)>& train_step, MetricSink* sink) {
  LrFindResult result;
  SmoothedLoss smoothed(options.beta);
  double best = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < options.steps; ++i) {
    if (const int signal = interrupt_signal(); signal != 0) {
      result.stop = LrFindStop::Interrupted;
      result.stop_reason = "interrupted by " + signal_name(signal) + " at step " + std::to_string(i);
      break;
    }
    const double lr = lr_find_rate(options, i);
    const double loss = train_step(i, lr);
    const double smooth = smoothed.add(loss);
    result.points.push_back({i, lr, loss, smooth});
    if (sink) sink->log(i, {{"lr_find/lr", lr}, {"lr_find/loss", loss}, {"lr_find/smoothed_loss", smooth}});
    if (!std::isfinite(loss)) {
      result.stop = LrFindStop::NonFinite;
      result.stop_reason = fmt::format("the loss became {} at step {} (lr {})", std::isnan(loss) ? "nan" : shown(loss),
                                       i, shown(lr));
      break;
    }
    // fastai's order: the best is updated first, then compared with.
    best = std::min(best, smooth);
    if (options.stop_factor > 0 && smooth > options.stop_factor * best) {
      result.stop = LrFindStop::Diverged;
      result.stop_reason = fmt::format("smoothed loss {} > {} x best {} at step {} (lr {})", shown(smooth),
                                       shown(options.stop_factor), shown(best), i, shown(lr));
      break;
    }
  }
  if (result.stop == LrFindStop::Completed)
    result.stop_reason = fmt::format("ran all {} steps up to lr {}", options.steps, shown(options.end_lr));
  result.best_smoothed = std::isfinite(best) ? best : 0.0;

  const auto [begin, end] = suggestion_window(result.points.size(), options.steps);
  std::vector<double> lrs, losses;
  for (size_t i = begin; i < end; ++i) {
    lrs.push_back(result.points[i].lr);
    losses.push_back(result.points[i].smoothed);
  }
  result.suggestions = suggest_lrs(lrs, losses);
  std::tie(result.range_low, result.range_high) = suggested_range(result.suggestions, options);
  return result;
}

LrFindResult find_lr(RunParts& run, const LrFindOptions& options, MetricSink* sink) {
  if (const std::string error = lr_find_options_error(options); !error.empty()) throw InputError(error);
  Dataset& data = *run.data;
  const int64_t per_epoch = data.train_batches();
  if (per_epoch <= 0) throw std::runtime_error("the data set has no training batches");
  SavedState saved(run);
  // The rate is the test's, set before every step: the spec's schedule is not used.
  BatchSource batches(data, run.device, run.model->dtype(), run.seed);
  // At the run's precision: the rate found is the one its steps will take.
  EagerStep engine(*run.model, *run.optimizer, run.loss, run.precision);
  // Every step's loss is read at once (a wait on a GPU): the stop depends on it.
  EpochMeter meter(run.device, data.classification(), MeterReads::PerBatch);
  int64_t epoch = 0;
  auto train_step = [&](int64_t i, double lr) {
    if (i % per_epoch == 0) batches.start_epoch(++epoch);
    set_lr(*run.optimizer, lr);
    meter.reset();
    engine.step(batches.batch(i % per_epoch), i, meter, nullptr);
    meter.read();
    return meter.non_finite() ? meter.non_finite()->loss : meter.last_loss();
  };
  LrFindResult result;
  try {
    result = run_lr_range_test(options, train_step, sink);
  } catch (...) {
    saved.restore();
    throw;
  }
  saved.restore();
  return result;
}

LrFindOutcome find_lr_for_config(const nlohmann::json& config, MetricSink& sink, const LrFindOptions& options,
                                 int64_t default_threads) {
  const auto started = std::chrono::steady_clock::now();
  LrFindOutcome outcome;
  auto end = [&](RunStatus status, std::string error) {
    outcome.status = status;
    outcome.error = std::move(error);
    outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    sink.run_ended({status, outcome.error, static_cast<int64_t>(outcome.result.points.size()), outcome.wall_seconds});
    return outcome;
  };
  try {
    RunParts run = build_run(config, default_threads);
    sink.run_started({run.device.str(), device_name(run.device), 0, 0, "eager", ""});
    outcome.result = find_lr(run, options, &sink);
    const LrFindResult& r = outcome.result;
    if (!r.points.empty()) {
      MetricRow row;
      if (r.suggestions.valley) row.emplace_back("lr_find/valley", r.suggestions.valley->lr);
      if (r.suggestions.steep) row.emplace_back("lr_find/steep", r.suggestions.steep->lr);
      if (r.suggestions.minimum) row.emplace_back("lr_find/minimum", r.suggestions.minimum->lr);
      if (r.range_high > 0) {
        row.emplace_back("lr_find/range_low", r.range_low);
        row.emplace_back("lr_find/range_high", r.range_high);
      }
      row.emplace_back("lr_find/best_smoothed_loss", r.best_smoothed);
      row.emplace_back("lr_find/stop", static_cast<double>(static_cast<int>(r.stop)));
      sink.log(r.points.back().step, row);
    }
    if (r.stop == LrFindStop::Interrupted)
      return end(RunStatus::Failed, r.stop_reason + ": a range test is run again, never continued");
    return end(RunStatus::Finished, "");
  } catch (const c10::Error& e) {
    return end(RunStatus::Failed, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return end(RunStatus::Failed, e.what());
  }
}

}  // namespace torchsweep
