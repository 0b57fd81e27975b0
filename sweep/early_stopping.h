// Early stopping: the rules that end a sweep's runs before their budget, as pure
// functions of the values the runs recorded (no SQL, no tensors). Who asks them, when,
// and what is written about each decision is the launcher's work (launch/); here is
// what each rule decides, given what it sees.
//
// The spec spelling (docs/spec.md, "Early stopping"):
//
//   sweep:
//     early_stop:
//       rule: asha              # asha | hyperband | median | patience | wandb_hyperband
//       metric: test/loss       # the metric judged
//       goal: minimize          # minimize | maximize
//       axis: epoch             # the resource: epoch | step (default: the budget's)
//       min_resource: 1         # asha/hyperband: rungs at min_resource · eta^k
//       eta: 3
//       max_resource: 27        # default: train.epochs (axis epoch) or train.steps (axis step)
//
// The rules, each as its reference has it:
//   - asha: asynchronous successive halving (Li et al., "A System for Massively Parallel
//     Hyperparameter Tuning", MLSys 2020, Algorithm 2), promotion form: a run pauses at
//     each rung; the best run not yet promoted among the top ⌊n/η⌋ of the n runs that
//     reached a rung goes on (next_promotion); a run never promoted is stopped there.
//   - hyperband: brackets of ASHA (ibid., section 3.3): bracket b starts its rungs at
//     min_resource · η^b, so that bracket s_max trains every run it has to the budget.
//   - median: Optuna's MedianPruner (a PercentilePruner at 50).
//   - patience: Optuna's PatientPruner without a wrapped pruner.
//   - wandb_hyperband: W&B's `early_terminate: {type: hyperband}` as wandb/sweeps'
//     hyperband_stopping.py computes it (see judge_wandb_hyperband).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/spec_node.h"
#include "results/metric_sink.h"

namespace torchsweep {

/// Whether a metric is better smaller or larger.
enum class Goal { Minimize, Maximize };

/// "minimize" or "maximize".
const char* to_string(Goal goal);

/// A sweep's early-stopping rule and its settings (`sweep.early_stop`).
struct EarlyStopping {
  enum class Rule { None, Asha, Hyperband, Median, Patience, WandbHyperband };
  Rule rule = Rule::None;
  std::string metric;                   ///< the metric judged, e.g. "test/loss" (required)
  Goal goal = Goal::Minimize;
  /// The resource axis: what rungs, warmup and intervals count (epochs, or optimizer
  /// steps), and the axis of the metric's points the rules read.
  MetricAxis axis = MetricAxis::Epoch;

  // asha and hyperband
  int64_t min_resource = 1;  ///< the first rung (bracket 0)
  double eta = 3;            ///< the reduction factor η > 1 (also W&B's eta)
  /// The full budget on the axis: a run that reaches it has finished. Defaults to the
  /// run budget on the axis (train.epochs / train.steps); an error when that cannot be known.
  int64_t max_resource = 0;
  /// hyperband: how many brackets (default all that fit: s_max + 1, where s_max is the
  /// largest s with min_resource · η^s <= max_resource). asha: 1.
  int64_t brackets = 1;

  // median (Optuna's MedianPruner defaults: n_startup_trials=5, n_warmup_steps=0, interval_steps=1)
  int64_t startup_runs = 5;  ///< no run is judged before this many runs have finished
  int64_t warmup = 0;        ///< no point before this step (on the axis) is judged
  int64_t interval = 1;      ///< judge at most once per this many steps, from warmup on

  // patience (Optuna's PatientPruner)
  int64_t patience = 3;      ///< how many points after the best may be worse
  double min_delta = 0.0;    ///< how much worse than the best before them they must be

  // wandb_hyperband
  /// The bands, in counts of the metric's logged (finite) values, ascending, as W&B
  /// computes them from min_iter and eta, or from max_iter, s and eta.
  std::vector<int64_t> bands;
  /// W&B's strict: judge a run by its value at the band (true), or by its best so far
  /// (false). W&B's default is true (wandb/sweeps since "default to strict hyperband
  /// sweeps"); parse_early_stopping fills it in.
  bool strict = false;
  /// What was written for the bands, kept for the record: min_iter, or max_iter and s
  /// (0 where not given).
  int64_t min_iter = 0, max_iter = 0, s = 0;

  /// Every setting, as recorded with the sweep (sweeps.adaptive): {"rule": "asha", ...}.
  nlohmann::json to_json() const;
  /// The settings to_json wrote (keys it did not write keep their defaults);
  /// std::invalid_argument for an unknown rule, goal or axis.
  static EarlyStopping from_json(const nlohmann::json& json);
  bool enabled() const { return rule != Rule::None; }
};

/// "none", "asha", "hyperband", "median", "patience", "wandb_hyperband".
const char* to_string(EarlyStopping::Rule rule);

/// What the spec says of its runs' budget, for max_resource's default and the axis's.
struct RunBudget {
  int64_t epochs = 0;  ///< train.epochs when every run has the same; else 0 (not known)
  int64_t steps = 0;   ///< train.steps when every run has the same; else 0 (not known)
  /// The axis the budget counts: Epoch under train.epochs, Step under train.steps.
  MetricAxis axis = MetricAxis::Epoch;
};

/// Parses the `sweep.early_stop` mapping: unknown keys (with a suggestion), a key of
/// another rule, each value's type and range, and the settings that must agree
/// (max_resource above min_resource, brackets that fit, W&B's bands). Every problem is
/// a SpecError at the value (or the key) naming `KEY.NAME` (`sweep.early_stop.eta`),
/// what was expected and what was found; several are SpecErrors.
EarlyStopping parse_early_stopping(const SpecNode& node, const RunBudget& budget,
                                   const std::string& key = "sweep.early_stop");

/// W&B's bands (hyperband_stopping.py): from max_iter, s and eta, band = max_iter / eta^i
/// for i = 1..s while it is >= 1, truncated to an integer, ascending; from min_iter and
/// eta, band = min_iter · eta^i, truncated, for i = 0, 1, ... (W&B takes 100; here those
/// up to 2^53, since no run logs more values than that). The products are W&B's: repeated
/// division or multiplication in doubles. Empty when max_iter / eta < 1.
std::vector<int64_t> wandb_bands(int64_t min_iter, int64_t max_iter, int64_t s, double eta);

// --- asha and hyperband ---------------------------------------------------------------

/// The bracket of the sweep's run_index-th run (from 0): hyperband assigns runs to its
/// brackets in turn, run_index % brackets (run 0 to bracket 0, the most aggressive one,
/// run 1 to bracket 1, ...), which fills the brackets evenly and depends on nothing but
/// the run's place in the sweep. asha: 0.
int64_t bracket_of(const EarlyStopping& es, int64_t run_index);

/// The rungs of a bracket: the resources min_resource · η^p for p = bracket ... s_max − 1
/// that are strictly below max_resource, ascending, where s_max is the highest power with
/// min_resource · η^s_max ≤ max_resource (Li et al.'s s_max). A run promoted from the
/// last rung trains to max_resource and finishes, also when the budget is not an exact
/// power (min 52, η 3, budget 1407: rungs 52, 156, 468, then 1407; not a rung at 1404).
/// Each is rounded to the nearest integer (halves up); a rung that rounds to the one
/// below it is left out. Empty for the last hyperband bracket: its runs train to the
/// budget.
std::vector<int64_t> rungs_of(const EarlyStopping& es, int64_t bracket);

/// s_max + 1: the number of brackets that fit between min_resource and max_resource.
int64_t most_brackets(const EarlyStopping& es);

/// A run's value at a rung. NaN = no finite value: it ranks below every number.
struct RungValue {
  int64_t run_id = 0;
  double value = std::numeric_limits<double>::quiet_NaN();
  bool promoted = false;  ///< already promoted from this rung
};

/// The run to promote from a rung, and the numbers that justify it.
struct Promotion {
  int64_t run_id = 0;
  int64_t rung = 0;        ///< the rung level it is promoted from (it goes on to rung + 1, or to the budget)
  double value = 0;        ///< its value at that rung
  double threshold = 0;    ///< the value of the ⌊n/η⌋-th best at the rung: the cutoff it passed
  int64_t reached = 0;     ///< n: the runs that reached the rung
  int64_t top = 0;         ///< ⌊n/η⌋: how many of them may go on
};

/// ⌊n/η⌋, the runs of n that may go on from a rung (n/η computed in doubles with a
/// relative 1e-12 of slack, so that 33/2.2, 14.999999999999998 in doubles, is 15).
int64_t top_count(const EarlyStopping& es, int64_t n);

/// The run to promote next within one bracket, ASHA's get_job: from the highest rung
/// downwards, the best not-yet-promoted run that is among the top ⌊n/η⌋ of the n runs
/// at that rung (ranked by the goal, NaN last, ties broken by the lower run_id); a run
/// without a finite value is never promoted. nullopt when there is none (then ASHA
/// starts a new run at the bottom rung). `rungs[k]` holds every run that reached rung
/// k; the order of the runs in it changes nothing.
std::optional<Promotion> next_promotion(const EarlyStopping& es, const std::vector<std::vector<RungValue>>& rungs);

/// The cutoff of a rung: the value of the ⌊n/η⌋-th best of its n runs (ranked as
/// next_promotion ranks them); NaN when ⌊n/η⌋ = 0. What a run stopped at that rung was
/// held against.
double rung_cutoff(const EarlyStopping& es, const std::vector<RungValue>& rung);

// --- rules judged as a run's points come in (one call per new point of the metric) ----

/// A run's points of the metric: (step on the axis, value), in step order.
using History = std::vector<std::pair<int64_t, double>>;

/// What a rule decided about a run at its latest point.
struct Verdict {
  bool stop = false;
  double value = std::numeric_limits<double>::quiet_NaN();      ///< the run's value the rule judged
  double threshold = std::numeric_limits<double>::quiet_NaN();  ///< what it was held against
  /// One sentence for runs.error when stopped, else why it goes on; e.g. "stopped by
  /// median at epoch 3: best test/loss 0.52 is worse than the median 0.41 of 5 finished runs".
  std::string reason;
  nlohmann::json seen;  ///< what the rule compared against, for the decisions table
  /// Whether the rule judged at this point at all (false in warmup, between intervals,
  /// before enough runs finished, before the first band): no decision to record.
  bool judged = false;
};

/// A run's place at a rung, for the decisions table and runs.error: where it stands
/// among the runs that reached the rung, against the rung's cutoff. `stop` says whether
/// it is out (not among the top ⌊n/η⌋; a run ASHA leaves waiting there when the sweep
/// ends is stopped with this reason), `seen` holds every value at the rung.
/// `bracket` and `rung` are levels (from 0); the resource is rungs_of(es, bracket)[rung].
Verdict rung_verdict(const EarlyStopping& es, int64_t bracket, int64_t rung, const std::vector<RungValue>& values,
                     int64_t run_id);

/// Optuna's MedianPruner at the run's latest point (step t):
///   - no judgement while fewer than startup_runs runs have finished (none: none), at
///     t < warmup, or when an earlier point lies in the same interval (Optuna's
///     _is_first_in_interval_step: the point before must be below
///     (t − warmup) / interval · interval + warmup);
///   - a run whose every value is NaN is stopped;
///   - the threshold is the median (numpy's nanpercentile 50, interpolated linearly) of
///     the finished runs' values at exactly step t, NaN ignored; none there: no judgement;
///   - stop when the run's best value so far (over all its points) is worse than it.
/// `completed`: the histories of the sweep's finished runs (as Optuna counts only
/// COMPLETE trials, a stopped or failed run is not one of them).
Verdict judge_median(const EarlyStopping& es, const History& own, const std::vector<History>& completed);

/// Optuna's PatientPruner without a wrapped pruner: with more than patience + 1 points,
/// the last patience + 1 are the window and the ones before it the past; stop when the
/// window's best is worse than the past's best by more than min_delta (minimize:
/// min(past) + δ < min(window); maximize: max(past) − δ > max(window)), NaN ignored
/// (a window or past of NaN alone stops nothing).
Verdict judge_patience(const EarlyStopping& es, const History& own);

/// W&B's hyperband_stopping, judged for the run whose history is `own` (a running run):
///   - histories are the metric's logged values in order, the non-finite ones left out
///     (W&B's filter_invalid), each negated under maximize; their steps are not read:
///     band b is the run's b-th value;
///   - band b's threshold is taken over every run of the sweep that has at least b
///     values, in any state (`own` and `others`): their b-th values sorted ascending,
///     the one at index int(n / eta) (W&B's int(r · n), r = 1 / eta);
///   - the run's band is the largest band <= its number of values (none yet: no judgement);
///   - stop when its value is above that band's threshold: its b-th value (strict) or the
///     least of all its values so far (not strict).
/// W&B's controller re-judges every running run each time it polls; here a run is judged
/// at each of its own new points.
Verdict judge_wandb_hyperband(const EarlyStopping& es, const History& own, const std::vector<History>& others);

}  // namespace torchsweep
