// Smoothing a noisy curve (a per-batch training loss) for the eye: an exponential
// moving average with the start-up bias removed, as TensorBoard's and W&B's smoothing
// slider compute it, so that a chart here and there shows the same line for the same
// weight. It is applied to every point of a run before any thinning or grouping, so
// that a group's band is the spread of the smoothed runs.
#pragma once

#include <vector>

namespace torchsweep {

/// The largest smoothing weight accepted: at 1 the average never moves.
constexpr double kMaxSmoothingWeight = 0.999;

/// The debiased exponential moving average of `values` with weight w in [0, 1):
/// a_0 = 0, a_k = w·a_{k-1} + (1 − w)·v_k over the finite values v_1 … v_k seen so far,
/// and each point becomes a_k / (1 − w^k) (so the first point is itself and a constant
/// curve stays constant). A NaN or infinite value is kept as it is and does not enter
/// the average; w = 0 returns the values unchanged.
std::vector<double> debiased_ema(const std::vector<double>& values, double weight);

}  // namespace torchsweep
