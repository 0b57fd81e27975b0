// sweep.mode: tpe — the Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio
// and Kégl, "Algorithms for Hyper-Parameter Optimization", NeurIPS 2011) as Optuna's
// TPESampler runs it with its defaults (Optuna 4.9: univariate, 10 start-up trials,
// 24 candidates, prior weight 1, magic clip on, endpoints off):
//   - with fewer than `startup_trials` usable runs, a point is drawn at random;
//   - otherwise the runs are split into the γ(n) = min(⌈0.1·n⌉, 25) best ("below")
//     and the rest ("above"); for each parameter on its own, a Parzen estimator l(x)
//     is fitted to the below runs' values and g(x) to the above runs' values: a
//     truncated normal kernel at each value (in log space for log_uniform), its width
//     the larger distance to its sorted neighbours (the bounds count as neighbours
//     except for the outermost values), clipped to [range / min(100, 1 + kernels),
//     range], plus a prior kernel at the middle of the range as wide as the range.
//     Kernel weights are Optuna's default_weights (equal below 25 runs, older runs
//     ramped down beyond) with the prior's weight 1, normalised; int_uniform kernels
//     give each integer the normal mass of its cell, and a choice's kernel puts 1 +
//     1/(kernels) on the observed value and 1/(kernels) on every value, normalised;
//   - `candidates` values are drawn from l(x) and the one with the largest
//     log l(x) − log g(x) is proposed.
// Failed runs (objective NaN) are left out, as Optuna leaves out FAIL trials; a run
// whose objective is ±infinity counts with that value (Optuna completes such trials).
// Runs stopped early rank after every finished run (Optuna's pruned trials).
// Draws come from Sampler (mt19937_64 with our own conversions), so a proposal
// depends only on (space, finished, seed), on every platform.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "sweep/search_space.h"

namespace torchsweep {

struct TpeOptions {
  /// Usable runs before the model proposes; fewer and the point is drawn at random
  /// (Optuna's n_startup_trials).
  int64_t startup_trials = 10;
  /// Values drawn from l(x) per parameter, the best of them proposed (n_ei_candidates).
  int64_t candidates = 24;
  /// Weight of the prior kernel against one run's (prior_weight).
  double prior_weight = 1.0;
};

/// Optuna's default γ: how many of n runs count as good, min(⌈0.1·n⌉, 25).
int64_t tpe_gamma(int64_t n);

/// Optuna's default_weights: n ones below 25 runs; beyond, the oldest n − 25 runs
/// ramped linearly from 1/n up to 1 and the newest 25 at 1. Runs in the order they
/// were made.
std::vector<double> tpe_weights(int64_t n);

/// The next point to run: {"optimizer.lr": 0.0042, ...}, one value per key of the space.
/// `finished` in the order the runs were made (it sets the weights).
nlohmann::json propose_tpe(const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed,
                           const TpeOptions& options = {});

}  // namespace torchsweep
