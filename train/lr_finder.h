// The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural
// Networks", WACV 2017) as fastai's `lr_find` runs it: one run of a spec's model, data,
// loss and optimizer whose rate grows exponentially from step to step, the loss
// smoothed as it goes, stopped once the smoothed loss passes a multiple of its best (or
// the loss is not finite), and three suggested rates read off the curve. The model, the
// optimizer and the random generators are put back as they were afterwards, so a
// library caller can train the same model next.
//
// Knows nothing of SQL: points go to a MetricSink (launch/lr_find records them).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "results/metric_sink.h"

namespace torchsweep {

struct RunParts;

struct LrFindOptions {
  /// The rate of the first step (fastai's start_lr).
  double start_lr = 1e-7;
  /// The rate of the last step (fastai's end_lr); above start_lr.
  double end_lr = 10.0;
  /// Steps at most (fastai's num_it); 2 or more. Step i trains with
  /// start_lr · (end_lr / start_lr)^(i / (steps − 1)), so the last step is at end_lr.
  int64_t steps = 100;
  /// Stop once the smoothed loss is above this multiple of the best smoothed loss so far
  /// (fastai's stop_div, with its factor 4); above 1. 0: never (run every step unless
  /// the loss stops being finite).
  double stop_factor = 4.0;
  /// The smoothing of the loss: an exponential moving average with this weight on the
  /// past, divided by (1 − beta^(i+1)) to remove its bias towards 0 (fastai's
  /// AvgSmoothLoss, beta 0.98).
  double beta = 0.98;
};

/// "" when the options can run; else what is wrong, naming the command's flags
/// (--start, --end, --steps, --stop-factor): "--start 10: expected a rate below --end (1)".
std::string lr_find_options_error(const LrFindOptions& options);

/// The rate of step `i` (from 0) of the test: start · (end/start)^(i/(steps−1)).
double lr_find_rate(const LrFindOptions& options, int64_t i);

/// fastai's smoothed loss: avg ← beta·avg + (1−beta)·loss (avg from 0), shown as
/// avg / (1 − beta^n) after n losses, which is the first loss itself after one.
class SmoothedLoss {
 public:
  explicit SmoothedLoss(double beta = 0.98) : beta_(beta) {}
  /// Takes the next loss; returns the smoothed loss after it.
  double add(double loss);

 private:
  double beta_;
  double average_ = 0.0;
  double beta_power_ = 1.0;  ///< beta^n
};

/// One step of the test: the rate it trained with, and the loss of its batch (computed
/// before that step's update, as fastai records it) and the smoothed loss after it.
struct LrFindPoint {
  int64_t step = 0;
  double lr = 0.0;
  double loss = 0.0;
  double smoothed = 0.0;
};

/// A suggested rate and where fastai marks it on the curve: the point's rate and
/// smoothed loss (for `minimum`, the rate of the lowest point, ten times the suggestion).
struct LrSuggestion {
  double lr = 0.0;
  double marked_lr = 0.0;
  double marked_loss = 0.0;
};

/// fastai's three suggestions, each read off rates and smoothed losses in step order.
struct LrSuggestions {
  /// The rate at the lowest smoothed loss, divided by 10.
  std::optional<LrSuggestion> minimum;
  /// The rate where the smoothed loss falls fastest against log(rate): the left end of
  /// the steepest of the segments between consecutive points.
  std::optional<LrSuggestion> steep;
  /// fastai's default: the longest "valley" (the longest run of points, in order, each
  /// lower than the one before it in the run: a longest decreasing subsequence, found as
  /// fastai does), then the point a third plus a sixth of its length past its start.
  std::optional<LrSuggestion> valley;
};

/// The three suggestions on `lrs` and `losses` (the same length). Points after the
/// first non-finite loss are left out, as fastai drops them; fewer than two points
/// left give no suggestion.
LrSuggestions suggest_lrs(const std::vector<double>& lrs, const std::vector<double>& losses);

/// Why the test ended.
enum class LrFindStop {
  Completed,    ///< every step ran
  Diverged,     ///< the smoothed loss passed stop_factor × its best
  NonFinite,    ///< the loss was nan or inf
  Interrupted,  ///< SIGINT or SIGTERM (interrupt.h)
};

/// "completed", "diverged", "non_finite", "interrupted".
const char* to_string(LrFindStop stop);

struct LrFindResult {
  std::vector<LrFindPoint> points;  ///< every step run, the last one that stopped it included
  LrFindStop stop = LrFindStop::Completed;
  std::string stop_reason;          ///< a sentence: "smoothed loss 0.91 > 4 × best 0.21 at step 57"
  double best_smoothed = 0.0;       ///< the lowest smoothed loss
  /// The suggestions, read as fastai's lr_find reads them: from the points after the
  /// first steps/10 and before the last 5 (the start is noise, the end is the blow-up),
  /// or from every finite point when fewer than two are left that way.
  LrSuggestions suggestions;
  /// A range for a log_uniform sweep of the rate (see suggested_range); 0 and 0 when
  /// there is no suggestion.
  double range_low = 0.0;
  double range_high = 0.0;
  /// The rate to train with: `minimum` (a tenth of the rate at the lowest loss, Smith's
  /// rule and fastai's first), 0 when none. Not fastai's current default, valley: a
  /// short test on a network trained from scratch falls over several decades of rate,
  /// and the valley lands a third into that fall, where a full training is slow (the
  /// seed CNN: valley 0.0016, a one-epoch sweep best at 0.02-0.1, minimum/10 0.089;
  /// bench/lr_find_vs_sweep.py).
  double suggested() const { return suggestions.minimum ? suggestions.minimum->lr : 0.0; }
};

/// The sweep range around the suggestions, [low, high]:
///  - high is the rate at the lowest smoothed loss (10 × `minimum`): past it the test's
///    loss rises, so rates above it train worse or blow up, and a sweep learns nothing
///    there; the test's loss at a rate lags behind the rate (smoothing, and the steps
///    trained at lower rates before it), so that rate is itself at the edge, which a
///    sweep should see;
///  - low is a tenth of the lower of steep and the suggestion (minimum / 10): a decade
///    under where the loss falls fastest shows where training becomes slow (valley, a
///    third into a long fall, would stretch the range over decades a sweep wastes);
///  - when the curve is too flat for these to order (low ≥ high), low is high / 100.
/// Both lie within [start_lr, end_lr]. {0, 0} without suggestions.
std::pair<double, double> suggested_range(const LrSuggestions& suggestions, const LrFindOptions& options);

/// The test's loop on any training step: `train_step(i, lr)` trains step i at rate lr
/// and returns the loss of its batch. Points go to `sink` (when given) as they come, on
/// the step axis: lr_find/lr, lr_find/loss, lr_find/smoothed_loss. Throws nothing of
/// its own; the suggestions are filled in.
LrFindResult run_lr_range_test(const LrFindOptions& options,
                               const std::function<double(int64_t step, double lr)>& train_step,
                               MetricSink* sink = nullptr);

/// The test on a built run (train/run_parts.h): eager steps over the training batches
/// in the run's order (epoch after epoch as needed), the rate set before each step, the
/// spec's schedule ignored. The model's parameters and buffers, the optimizer (state and
/// options) and torch's generators are restored bit for bit before it returns, also
/// when a step throws.
LrFindResult find_lr(RunParts& run, const LrFindOptions& options, MetricSink* sink = nullptr);

/// What find_lr_for_config returns: the test, or how the run failed.
struct LrFindOutcome {
  RunStatus status = RunStatus::Finished;  ///< Finished, or Failed (error says why)
  std::string error;
  LrFindResult result;
  double wall_seconds = 0.0;
};

/// Builds the config's run (as the trainer does, `default_threads` where train.threads
/// is 0) and runs the test on it, reporting run_started, the points, the suggestions
/// (lr_find/valley, lr_find/steep, lr_find/minimum, lr_find/range_low,
/// lr_find/range_high, lr_find/best_smoothed_loss and lr_find/stop, the LrFindStop as
/// 0..3, logged at the last step) and run_ended to `sink`. Finished whatever stopped
/// it, except an interrupt, which ends it Failed ("interrupted by SIGINT at step 12":
/// a test is run again, never continued); a failure to build or train is Failed too.
LrFindOutcome find_lr_for_config(const nlohmann::json& config, MetricSink& sink, const LrFindOptions& options,
                                 int64_t default_threads = 0);

}  // namespace torchsweep
