#include "sweep/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace torchsweep {

namespace {

constexpr double kNugget = 1e-7;            ///< W&B's GAUSSIAN_PROCESS_NUGGET (scikit-learn's alpha)
constexpr double kStdEpsilon = 1e-6;        ///< W&B's STD_NUMERICAL_STABILITY_EPSILON
const double kLogLowestScale = std::log(1e-5);   ///< scikit-learn's Matern length_scale_bounds
const double kLogHighestScale = std::log(1e5);
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;

/// The Matérn correlation at distance r for length scale ℓ (Rasmussen and Williams,
/// "Gaussian Processes for Machine Learning", eq. 4.17 for ν = 3/2 and 5/2).
double matern(double r, double length_scale, double nu) {
  const double d = r / length_scale;
  if (nu == 0.5) return std::exp(-d);
  if (nu == 1.5) {
    const double s = std::sqrt(3.0) * d;
    return (1 + s) * std::exp(-s);
  }
  const double s = std::sqrt(5.0) * d;
  return (1 + s + s * s / 3) * std::exp(-s);
}

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sum);
}

/// A dense symmetric positive definite matrix's Cholesky factor L (lower, row-major,
/// n×n): the GP is fitted to at most a hundred runs, so a written-out O(n³) factor
/// costs well under a millisecond and needs no library. False when not positive definite.
bool cholesky(std::vector<double>& a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double diagonal = a[j * n + j];
    for (size_t k = 0; k < j; ++k) diagonal -= a[j * n + k] * a[j * n + k];
    if (!(diagonal > 0)) return false;
    const double l = std::sqrt(diagonal);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; ++i) {
      double sum = a[i * n + j];
      for (size_t k = 0; k < j; ++k) sum -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = sum / l;
    }
    for (size_t i = 0; i < j; ++i) a[i * n + j] = 0;
  }
  return true;
}

/// Solves L x = b in place (L lower triangular).
void solve_lower(const std::vector<double>& l, size_t n, std::vector<double>& b) {
  for (size_t i = 0; i < n; ++i) {
    double sum = b[i];
    for (size_t k = 0; k < i; ++k) sum -= l[i * n + k] * b[k];
    b[i] = sum / l[i * n + i];
  }
}

/// Solves Lᵀ x = b in place.
void solve_upper_transposed(const std::vector<double>& l, size_t n, std::vector<double>& b) {
  for (size_t i = n; i-- > 0;) {
    double sum = b[i];
    for (size_t k = i + 1; k < n; ++k) sum -= l[k * n + i] * b[k];
    b[i] = sum / l[i * n + i];
  }
}

/// A GP fitted to normalised objectives.
class Gp {
 public:
  Gp(std::vector<std::vector<double>> x, const std::vector<double>& y, double nu) : x_(std::move(x)), nu_(nu) {
    const size_t n = y.size();
    // W&B's normalisation: one run is its own mean with unit spread.
    if (n == 1) {
      mean_ = y[0];
      scale_ = 1;
    } else {
      mean_ = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
      double squares = 0;
      for (double v : y) squares += (v - mean_) * (v - mean_);
      scale_ = std::sqrt(squares / static_cast<double>(n)) + kStdEpsilon;
    }
    y_.resize(n);
    for (size_t i = 0; i < n; ++i) y_[i] = (y[i] - mean_) / scale_;
    fit_length_scale();
  }

  /// Posterior mean and standard deviation at `at`, normalised.
  void predict(const std::vector<double>& at, double& mean, double& stddev) const {
    const size_t n = y_.size();
    std::vector<double> k(n);
    for (size_t i = 0; i < n; ++i) k[i] = matern(distance(at, x_[i]), length_scale_, nu_);
    mean = 0;
    for (size_t i = 0; i < n; ++i) mean += k[i] * alpha_[i];
    solve_lower(l_, n, k);
    double explained = 0;
    for (double v : k) explained += v * v;
    // scikit-learn sets a negative variance (rounding) to 0.
    stddev = std::sqrt(std::max(0.0, 1.0 - explained));
  }

  double length_scale() const { return length_scale_; }
  double log_marginal_likelihood() const { return lml_; }
  double mean() const { return mean_; }
  double scale() const { return scale_; }
  /// Whether the length scale ended at a bound of its range, where W&B calls the fit
  /// bad (numpy.isclose of the log scale and the log bound, its default tolerances).
  bool at_bound() const {
    const double theta = std::log(length_scale_);
    for (double bound : {kLogLowestScale, kLogHighestScale})
      if (std::fabs(bound - theta) <= 1e-8 + 1e-5 * std::fabs(theta)) return true;
    return false;
  }

 private:
  /// log p(y | X, ℓ) = −½ yᵀK⁻¹y − Σ log Lᵢᵢ − n/2 log 2π (Rasmussen and Williams,
  /// algorithm 2.1); −∞ where K is not positive definite (as scikit-learn returns).
  double log_likelihood(double length_scale, std::vector<double>* l_out, std::vector<double>* alpha_out) const {
    const size_t n = y_.size();
    std::vector<double> k(n * n);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j <= i; ++j)
        k[i * n + j] = k[j * n + i] = matern(distance(x_[i], x_[j]), length_scale, nu_) + (i == j ? kNugget : 0.0);
    if (!cholesky(k, n)) return -kInf;
    std::vector<double> alpha = y_;
    solve_lower(k, n, alpha);
    double fit = 0;
    for (double v : alpha) fit += v * v;
    solve_upper_transposed(k, n, alpha);
    double log_det = 0;
    for (size_t i = 0; i < n; ++i) log_det += std::log(k[i * n + i]);
    if (l_out) *l_out = std::move(k);
    if (alpha_out) *alpha_out = std::move(alpha);
    return -0.5 * fit - log_det - 0.5 * static_cast<double>(n) * std::log(2 * kPi);
  }

  /// The length scale of largest marginal likelihood: the best of a grid of 47
  /// log-spaced scales over [1e-5, 1e5] (ratio 1.65 between neighbours), then a
  /// golden-section search between the best one's neighbours.
  void fit_length_scale() {
    constexpr int kGrid = 47;
    const double step = (kLogHighestScale - kLogLowestScale) / (kGrid - 1);
    int best = 0;
    double best_value = -kInf;
    for (int i = 0; i < kGrid; ++i) {
      const double value = log_likelihood(std::exp(kLogLowestScale + step * i), nullptr, nullptr);
      if (value > best_value) best = i, best_value = value;
    }
    double theta = kLogLowestScale + step * best;
    if (best_value > -kInf) {
      double a = std::max(kLogLowestScale, theta - step), b = std::min(kLogHighestScale, theta + step);
      const double ratio = (std::sqrt(5.0) - 1) / 2;
      double c = b - ratio * (b - a), d = a + ratio * (b - a);
      double fc = log_likelihood(std::exp(c), nullptr, nullptr), fd = log_likelihood(std::exp(d), nullptr, nullptr);
      for (int i = 0; i < 60 && b - a > 1e-7; ++i) {
        if (fc >= fd) {
          b = d, d = c, fd = fc;
          c = b - ratio * (b - a);
          fc = log_likelihood(std::exp(c), nullptr, nullptr);
        } else {
          a = c, c = d, fc = fd;
          d = a + ratio * (b - a);
          fd = log_likelihood(std::exp(d), nullptr, nullptr);
        }
      }
      const double inner = fc >= fd ? c : d;
      const double inner_value = std::max(fc, fd);
      // The grid's best point stands when the search found nothing better (an optimum
      // at a bound of the range).
      if (inner_value > best_value) theta = inner, best_value = inner_value;
    }
    length_scale_ = std::exp(theta);
    lml_ = log_likelihood(length_scale_, &l_, &alpha_);
    if (!(lml_ > -kInf)) throw std::runtime_error("the GP's kernel matrix is not positive definite at any length scale");
  }

  std::vector<std::vector<double>> x_;
  std::vector<double> y_;
  double nu_;
  double mean_ = 0, scale_ = 1;
  double length_scale_ = 1, lml_ = 0;
  std::vector<double> l_, alpha_;
};

double normal_cdf(double z) { return 0.5 * std::erfc(-z / kSqrt2); }
double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }

/// W&B's expected improvement of a normalised prediction over the normalised best.
double expected_improvement(double mean, double stddev, double best) {
  const double z = -(mean - best) / (stddev + kStdEpsilon);
  return -(mean - best) * normal_cdf(z) + stddev * normal_pdf(z);
}

struct Data {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

/// The runs as the GP sees them: each mapped into the unit cube (runs whose point
/// does not fit the space are left out), failed and diverged ones at the worst
/// finite objective (0 when none is finite).
Data usable_runs(const SearchSpace& space, const std::vector<Observation>& finished) {
  Data data;
  double worst = -kInf;
  for (const auto& o : finished)
    if (std::isfinite(o.objective)) worst = std::max(worst, o.objective);
  if (!std::isfinite(worst)) worst = 0.0;
  std::vector<double> unit;
  for (const auto& o : finished) {
    if (!point_to_unit(space, o.point, unit)) continue;
    data.x.push_back(unit);
    data.y.push_back(std::isfinite(o.objective) ? o.objective : worst);
  }
  return data;
}

}  // namespace

GpFit fit_gp(const SearchSpace& space, const std::vector<Observation>& finished, const std::vector<std::vector<double>>& at,
             const GpOptions& options) {
  Data data = usable_runs(space, finished);
  GpFit fit;
  if (data.y.size() < 2) return fit;
  const Gp gp(data.x, data.y, options.nu);
  fit.length_scale = gp.length_scale();
  fit.log_marginal_likelihood = gp.log_marginal_likelihood();
  for (const auto& point : at) {
    double mean = 0, stddev = 0;
    gp.predict(point, mean, stddev);
    fit.mean.push_back(mean * gp.scale() + gp.mean());
    fit.stddev.push_back(stddev * gp.scale());
  }
  return fit;
}

nlohmann::json propose_gp(const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed,
                          const GpOptions& options, const std::vector<nlohmann::json>& pending) {
  if (options.nu != 0.5 && options.nu != 1.5 && options.nu != 2.5)
    throw std::invalid_argument("the Matérn kernel's nu must be 0.5, 1.5 or 2.5");
  Sampler sampler(seed);
  Data data = usable_runs(space, finished);
  if (data.y.size() < static_cast<size_t>(std::max<int64_t>(options.startup_trials, 2)))
    return random_point(space, sampler);
  const double best_seen = *std::min_element(data.y.begin(), data.y.end());

  // Too many runs for an O(n³) fit: a random subset (a partial Fisher–Yates shuffle).
  const auto most = static_cast<size_t>(std::max<int64_t>(options.max_observations, 2));
  if (data.y.size() > most) {
    std::vector<size_t> order(data.y.size());
    std::iota(order.begin(), order.end(), 0);
    for (size_t i = 0; i < most; ++i) {
      const size_t j = i + std::min(static_cast<size_t>(sampler.unit() * static_cast<double>(order.size() - i)),
                                    order.size() - i - 1);
      std::swap(order[i], order[j]);
    }
    order.resize(most);
    std::sort(order.begin(), order.end());
    Data subset;
    for (size_t i : order) subset.x.push_back(data.x[i]), subset.y.push_back(data.y[i]);
    data = std::move(subset);
  }

  Gp gp(data.x, data.y, options.nu);
  // Runs in flight are believed to score what the GP predicts for them, so that the
  // next proposal looks elsewhere (W&B drops those beyond max_observations − 5).
  std::vector<std::vector<double>> running;
  std::vector<double> unit;
  for (const auto& p : pending)
    if (running.size() + 5 < most && point_to_unit(space, p, unit)) running.push_back(unit);
  if (!running.empty()) {
    for (const auto& x : running) {
      double mean = 0, stddev = 0;
      gp.predict(x, mean, stddev);
      data.x.push_back(x);
      data.y.push_back(mean * gp.scale() + gp.mean());
    }
    gp = Gp(data.x, data.y, options.nu);
  }

  const auto count = static_cast<size_t>(std::max<int64_t>(options.candidates, 1));
  std::vector<std::vector<double>> candidates(count, std::vector<double>(space.size()));
  for (auto& c : candidates)
    for (double& u : c) u = sampler.unit();
  if (gp.at_bound()) {
    // W&B: numpy.random.randint(0, candidates − 1), which never picks the last one.
    const size_t pick = count < 2 ? 0 : std::min(static_cast<size_t>(sampler.unit() * static_cast<double>(count - 1)), count - 2);
    return point_from_unit(space, candidates[pick]);
  }
  const double best = (best_seen - gp.mean()) / gp.scale();
  auto ei_at = [&](const std::vector<double>& x) {
    double mean = 0, stddev = 0;
    gp.predict(x, mean, stddev);
    return expected_improvement(mean, stddev, best);
  };
  size_t chosen = 0;
  double chosen_ei = -kInf;
  for (size_t i = 0; i < count; ++i) {
    const double ei = ei_at(candidates[i]);
    if (ei > chosen_ei) chosen = i, chosen_ei = ei;
  }
  std::vector<double> x = candidates[chosen];
  if (options.refine) {
    // A compass search: a step along each axis both ways, the first that raises EI
    // taken; no gain halves the step.
    double step = 0.05;
    for (int round = 0; round < 200 && step > 1e-4; ++round) {
      bool moved = false;
      for (size_t d = 0; d < x.size() && !moved; ++d)
        for (double sign : {1.0, -1.0}) {
          std::vector<double> trial = x;
          trial[d] = std::min(1.0, std::max(0.0, trial[d] + sign * step));
          if (trial[d] == x[d]) continue;
          const double ei = ei_at(trial);
          if (ei > chosen_ei) {
            x = std::move(trial);
            chosen_ei = ei;
            moved = true;
            break;
          }
        }
      if (!moved) step /= 2;
    }
  }
  return point_from_unit(space, x);
}

}  // namespace torchsweep
