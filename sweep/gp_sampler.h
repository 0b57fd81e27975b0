// sweep.mode: bayes — W&B's `method: bayes` (wandb/sweeps, bayes_search.py), made
// deterministic:
//   - every parameter is mapped to [0, 1] through its distribution (search_space.h);
//   - with fewer than two usable runs a point is drawn at random;
//   - the objectives are normalised to mean 0 and standard deviation 1 (+1e-6), and a
//     Gaussian process with a Matérn kernel (ν = 3/2, W&B's default; one length scale
//     for all dimensions, no amplitude, a nugget of 1e-7 on the diagonal) is fitted:
//     the length scale in [1e-5, 1e5] that maximises the marginal likelihood. W&B has
//     scikit-learn run L-BFGS-B from three starts; here a grid over log ℓ and a
//     golden-section search around its best point, which gives the same answer
//     every time;
//   - when the fitted length scale is at a bound of its range (a fit W&B calls bad),
//     W&B proposes one of its candidates at random, and so does this;
//   - otherwise the proposal is the candidate of `candidates` uniform points in the
//     unit cube (W&B: 1000) with the largest expected improvement over the best
//     objective, EI = (y* − μ)Φ(z) + σφ(z), z = (y* − μ)/(σ + 1e-6), then (an addition
//     to W&B's, `refine`) improved by a local pattern search on EI from there;
//   - runs still in flight (`pending`) are given the GP's prediction at their point
//     as their objective and the GP is fitted again (W&B's current_X);
//   - a failed or diverged run (objective NaN or ±infinity) counts at the worst
//     finite objective seen, 0 when there is none (W&B's impute: worst);
//   - with more than `max_observations` runs, that many are chosen at random
//     (W&B: 100, drawn with replacement; here without).
// W&B draws from an unseeded generator; here every draw comes from Sampler with the
// given seed, so a proposal depends only on (space, finished, pending, seed).
// W&B's objective for a finished run is its metric's best logged value (the minimum
// to minimise); the caller decides what `objective` holds.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

#include "sweep/search_space.h"

namespace torchsweep {

struct GpOptions {
  /// Usable runs before the GP proposes; fewer and the point is drawn at random (W&B: 2,
  /// the fewest a GP is fitted to).
  int64_t startup_trials = 2;
  /// Random points in the unit cube whose expected improvement is compared (W&B's
  /// num_points_to_try).
  int64_t candidates = 1000;
  /// The Matérn kernel's smoothness: 0.5, 1.5 or 2.5 (W&B's nu, 1.5 by default).
  double nu = 1.5;
  /// Most runs the GP is fitted to (W&B's max_samples_for_gp).
  int64_t max_observations = 100;
  /// Whether the best candidate is refined by a local search on the expected improvement.
  bool refine = true;
};

/// The next point to run: {"optimizer.lr": 0.0042, ...}, one value per key of the space.
/// `pending`: the points of runs started and not yet finished.
nlohmann::json propose_gp(const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed,
                          const GpOptions& options = {}, const std::vector<nlohmann::json>& pending = {});

/// The fitted model, for tests and reports: the length scale and, at each point of
/// the unit cube asked about, the posterior mean and standard deviation of the
/// objective (in its own units). Empty when fewer than two runs are usable.
struct GpFit {
  double length_scale = 0;
  double log_marginal_likelihood = 0;
  std::vector<double> mean;
  std::vector<double> stddev;
};
GpFit fit_gp(const SearchSpace& space, const std::vector<Observation>& finished, const std::vector<std::vector<double>>& at,
             const GpOptions& options = {});

}  // namespace torchsweep
