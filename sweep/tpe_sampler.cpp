#include "sweep/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "spec/fields.h"

namespace torchsweep {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
const double kLogSqrt2Pi = 0.5 * std::log(2 * kPi);

/// Φ(x), the standard normal CDF.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / kSqrt2); }

/// log Φ(x), also far in the lower tail where Φ(x) underflows: below −30 by the
/// asymptotic series of Mills' ratio (Abramowitz & Stegun 26.2.12), whose first terms
/// are exact to double precision there.
double log_normal_cdf(double x) {
  if (x > -30) return std::log(normal_cdf(x));
  const double r = 1 / (x * x);
  return -0.5 * x * x - std::log(-x) - kLogSqrt2Pi + std::log1p(-r + 3 * r * r - 15 * r * r * r + 105 * r * r * r * r);
}

/// log(Φ(b) − Φ(a)) for a < b, accurate in either tail (Optuna's _log_gauss_mass does
/// the same with log_ndtr).
double log_normal_mass(double a, double b) {
  if (!(a < b)) return -kInf;
  if (a >= 0) return log_normal_mass(-b, -a);  // the same mass, mirrored into the lower tail
  if (b <= 0) {
    const double log_b = log_normal_cdf(b);
    return log_b + std::log1p(-std::exp(log_normal_cdf(a) - log_b));
  }
  // Around the middle: one minus both tails, each small.
  return std::log1p(-normal_cdf(a) - normal_cdf(-b));
}

/// Φ⁻¹(p) for 0 < p < 1: a start from Abramowitz & Stegun 26.2.23 (error below
/// 4.5e-4), then Halley steps on Φ computed by erfc (the refinement Acklam gives
/// for his approximation), which reach double precision in two or three steps.
double normal_quantile(double p) {
  if (!(p > 0)) return -kInf;
  if (!(p < 1)) return kInf;
  if (p > 0.5) return -normal_quantile(1 - p);
  const double t = std::sqrt(-2 * std::log(p));
  double x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
                       (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (int step = 0; step < 4; ++step) {
    const double e = normal_cdf(x) - p;
    const double u = e * std::sqrt(2 * kPi) * std::exp(0.5 * x * x);
    const double next = x - u / (1 + 0.5 * x * u);
    if (!std::isfinite(next)) break;
    if (next == x) break;
    x = next;
  }
  return x;
}

/// A draw from the standard normal truncated to [a, b], by its quantile at `q` in
/// [0, 1) (Optuna's _truncnorm.rvs inverts the CDF the same way).
double truncated_normal_quantile(double q, double a, double b) {
  if (a >= 0) return -truncated_normal_quantile(1 - q, -b, -a);  // work in the lower tail
  const double low = normal_cdf(a);
  const double high = normal_cdf(b);
  const double x = normal_quantile(low + q * (high - low));
  return std::min(b, std::max(a, x));
}

/// log Σ exp(v).
double log_sum_exp(const std::vector<double>& v) {
  double top = -kInf;
  for (double x : v) top = std::max(top, x);
  if (top == -kInf) return -kInf;
  double sum = 0;
  for (double x : v) sum += std::exp(x - top);
  return top + std::log(sum);
}

/// The index picked by `u` in [0, 1) from weights that sum to 1.
size_t pick(const std::vector<double>& weights, double u) {
  double cumulative = 0;
  for (size_t i = 0; i + 1 < weights.size(); ++i) {
    cumulative += weights[i];
    if (u < cumulative) return i;
  }
  return weights.size() - 1;
}

/// A parameter's value as the estimator sees it: the number itself (uniform,
/// int_uniform), its logarithm (log_uniform), its index (choice). False when the
/// value does not belong to the distribution.
bool internal_value(const Distribution& d, const nlohmann::json& value, double& out) {
  double u = 0;
  try {
    u = to_unit(d, value);
  } catch (const std::invalid_argument&) {
    return false;
  }
  if (!(u >= -1e-9 && u <= 1 + 1e-9)) return false;
  switch (d.kind) {
    case Distribution::Kind::Uniform: out = value.get<double>(); break;
    case Distribution::Kind::LogUniform: out = std::log(value.get<double>()); break;
    case Distribution::Kind::IntUniform: out = std::round(value.get<double>()); break;
    case Distribution::Kind::Choice:
      out = std::floor(u * static_cast<double>(d.choices.size()));
      break;
  }
  return true;
}

/// One parameter's Parzen estimator: a weighted mixture of one kernel per run and
/// the prior's (Optuna's _ParzenEstimator for one parameter).
class Parzen {
 public:
  Parzen(const Distribution& d, const std::vector<double>& observed, double prior_weight) : d_(d) {
    const size_t n = observed.size();
    weights_ = tpe_weights(static_cast<int64_t>(n));
    if (n == 0) weights_ = {1.0};
    else weights_.push_back(prior_weight);
    const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
    for (double& w : weights_) w /= total;
    const size_t kernels = n + 1;
    if (d.kind == Distribution::Kind::Choice) {
      const size_t k = d.choices.size();
      if (n == 0) {
        probabilities_.assign(1, std::vector<double>(k, 1.0 / static_cast<double>(k)));
        return;
      }
      probabilities_.assign(kernels, std::vector<double>(k, prior_weight / static_cast<double>(kernels)));
      for (size_t i = 0; i < n; ++i) probabilities_[i][static_cast<size_t>(observed[i])] += 1;
      for (auto& row : probabilities_) {
        const double sum = std::accumulate(row.begin(), row.end(), 0.0);
        if (sum > 0)
          for (double& p : row) p /= sum;
      }
      return;
    }
    // The range the kernels' widths are measured in: an integer's cell included.
    double low = d.low, high = d.high;
    if (d.kind == Distribution::Kind::IntUniform) low -= 0.5, high += 0.5;
    if (d.kind == Distribution::Kind::LogUniform) low = std::log(low), high = std::log(high);
    low_ = low;
    high_ = high;
    // Where a value is drawn and measured: the distribution's own bounds, with an
    // integer's cells.
    mus_ = observed;
    sigmas_.assign(n, 0.0);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return observed[a] < observed[b]; });
    std::vector<double> sorted = {low};
    for (size_t i : order) sorted.push_back(observed[i]);
    sorted.push_back(high);
    for (size_t s = 0; s < n; ++s) {
      double sigma = std::max(sorted[s + 1] - sorted[s], sorted[s + 2] - sorted[s + 1]);
      // consider_endpoints off: the outermost values look only inward.
      if (n >= 2 && s == 0) sigma = sorted[2] - sorted[1];
      if (n >= 2 && s == n - 1) sigma = sorted[n] - sorted[n - 1];
      sigmas_[order[s]] = sigma;
    }
    // consider_magic_clip.
    const double max_sigma = high - low;
    const double min_sigma = (high - low) / std::min(100.0, 1.0 + static_cast<double>(kernels));
    for (double& sigma : sigmas_) sigma = std::min(max_sigma, std::max(min_sigma, sigma));
    mus_.push_back(0.5 * (low + high));
    sigmas_.push_back(high - low);
  }

  /// `count` values drawn from the mixture, in internal form.
  std::vector<double> sample(Sampler& sampler, size_t count) const {
    std::vector<size_t> active(count);
    for (auto& a : active) a = pick(weights_, sampler.unit());
    std::vector<double> out(count);
    for (size_t c = 0; c < count; ++c) {
      const double q = sampler.unit();
      const size_t k = active[c];
      if (d_.kind == Distribution::Kind::Choice) {
        out[c] = static_cast<double>(pick(probabilities_[k], q));
        continue;
      }
      const double mu = mus_[k], sigma = sigmas_[k];
      const double x = mu + sigma * truncated_normal_quantile(q, (low_ - mu) / sigma, (high_ - mu) / sigma);
      out[c] = d_.kind == Distribution::Kind::IntUniform ? std::min(d_.high, std::max(d_.low, std::round(x))) : x;
    }
    return out;
  }

  /// log of the mixture's density (an integer's or a choice's probability) at x.
  double log_pdf(double x) const {
    std::vector<double> terms(weights_.size());
    for (size_t k = 0; k < weights_.size(); ++k) {
      double log_p = 0;
      if (d_.kind == Distribution::Kind::Choice) {
        log_p = std::log(probabilities_[k][static_cast<size_t>(x)]);
      } else {
        const double mu = mus_[k], sigma = sigmas_[k];
        const double a = (low_ - mu) / sigma, b = (high_ - mu) / sigma;
        if (d_.kind == Distribution::Kind::IntUniform) {
          log_p = log_normal_mass((x - 0.5 - mu) / sigma, (x + 0.5 - mu) / sigma) - log_normal_mass(a, b);
        } else {
          const double z = (x - mu) / sigma;
          log_p = -0.5 * z * z - kLogSqrt2Pi - std::log(sigma) - log_normal_mass(a, b);
        }
      }
      terms[k] = std::log(weights_[k]) + log_p;
    }
    return log_sum_exp(terms);
  }

 private:
  const Distribution& d_;
  std::vector<double> weights_;
  std::vector<double> mus_, sigmas_;  ///< numeric: one kernel per run, then the prior's
  double low_ = 0, high_ = 1;         ///< numeric: the truncation, in internal form
  std::vector<std::vector<double>> probabilities_;  ///< choice: one row per kernel
};

/// A usable run: where it ranks. Finished runs first by objective, then stopped runs,
/// those that went further first, then by their last value (NaN last).
struct Ranked {
  size_t index;  ///< in `finished`: the order the runs were made
  bool stopped;
  double progress;
  double value;
};

bool ranks_before(const Ranked& a, const Ranked& b) {
  if (a.stopped != b.stopped) return !a.stopped;
  if (a.stopped && a.progress != b.progress) return a.progress > b.progress;
  const double va = std::isnan(a.value) ? kInf : a.value, vb = std::isnan(b.value) ? kInf : b.value;
  return va < vb;
}

}  // namespace

int64_t tpe_gamma(int64_t n) { return std::min<int64_t>((n + 9) / 10, 25); }

std::vector<double> tpe_weights(int64_t n) {
  if (n <= 0) return {};
  if (n < 25) return std::vector<double>(static_cast<size_t>(n), 1.0);
  // numpy.linspace(1/n, 1, n − 25) followed by 25 ones.
  std::vector<double> w;
  const int64_t ramp = n - 25;
  const double start = 1.0 / static_cast<double>(n);
  for (int64_t i = 0; i < ramp; ++i)
    w.push_back(ramp == 1 ? start : start + (1.0 - start) * static_cast<double>(i) / static_cast<double>(ramp - 1));
  w.insert(w.end(), 25, 1.0);
  return w;
}

nlohmann::json propose_tpe(const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed,
                           const TpeOptions& options) {
  Sampler sampler(seed);
  // Failed runs are not trials the model learns from (Optuna's FAIL).
  std::vector<Ranked> usable;
  for (size_t i = 0; i < finished.size(); ++i) {
    const Observation& o = finished[i];
    if (o.stopped_at) usable.push_back({i, true, *o.stopped_at, o.objective});
    else if (!std::isnan(o.objective)) usable.push_back({i, false, 0.0, o.objective});
  }
  if (static_cast<int64_t>(usable.size()) < std::max<int64_t>(options.startup_trials, 1))
    return random_point(space, sampler);

  const auto n = static_cast<int64_t>(usable.size());
  const auto n_below = static_cast<size_t>(std::min(tpe_gamma(n), n));
  std::vector<Ranked> ranked = usable;
  std::stable_sort(ranked.begin(), ranked.end(), ranks_before);
  std::vector<bool> is_below(finished.size(), false);
  for (size_t r = 0; r < n_below; ++r) is_below[ranked[r].index] = true;

  const auto candidates = static_cast<size_t>(std::max<int64_t>(options.candidates, 1));
  nlohmann::json point = nlohmann::json::object();
  for (const auto& dimension : space) {
    const Distribution& d = dimension.distribution;
    // Each parameter on its own (Optuna's univariate default), from the runs that
    // have a value for it, in the order they were made.
    std::vector<double> below, above;
    for (const auto& u : usable) {
      const auto it = finished[u.index].point.find(dimension.key);
      double x = 0;
      if (it == finished[u.index].point.end() || !internal_value(d, *it, x)) continue;
      (is_below[u.index] ? below : above).push_back(x);
    }
    const Parzen l(d, below, options.prior_weight);
    const Parzen g(d, above, options.prior_weight);
    const std::vector<double> drawn = l.sample(sampler, candidates);
    size_t best = 0;
    double best_score = -kInf;
    for (size_t c = 0; c < drawn.size(); ++c) {
      const double score = l.log_pdf(drawn[c]) - g.log_pdf(drawn[c]);
      if (score > best_score) best = c, best_score = score;
    }
    const double x = drawn[best];
    switch (d.kind) {
      case Distribution::Kind::Uniform:
        point[dimension.key] = std::min(d.high, std::max(d.low, x));
        break;
      case Distribution::Kind::LogUniform:
        point[dimension.key] = std::min(d.high, std::max(d.low, std::exp(x)));
        break;
      case Distribution::Kind::IntUniform:
        point[dimension.key] = static_cast<int64_t>(x);
        break;
      case Distribution::Kind::Choice:
        point[dimension.key] = to_json(d.choices[static_cast<size_t>(x)]);
        break;
    }
  }
  return point;
}

}  // namespace torchsweep
