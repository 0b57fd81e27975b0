// Objectives with known minima for the model-based search tests, registered by name
// for the tests only (nothing in the library can reach them): a search is run
// against one as if each evaluation were a finished run.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/spec_node.h"
#include "sweep/search_space.h"

namespace torchsweep::testing {

struct TestObjective {
  SearchSpace space;
  std::function<double(const nlohmann::json& point)> evaluate;
  double minimum;  ///< the known global minimum
};

inline Distribution range_of(Distribution::Kind kind, double low, double high) {
  Distribution d;
  d.kind = kind;
  d.low = low;
  d.high = high;
  return d;
}

/// Branin–Hoo (Dixon and Szegő, 1978; the form in Surjanovic and Bingham's Virtual
/// Library of Simulation Experiments): a = 1, b = 5.1/(4π²), c = 5/π, r = 6, s = 10,
/// t = 1/(8π) over x1 ∈ [−5, 10], x2 ∈ [0, 15]; three global minima of 0.397887, at
/// (−π, 12.275), (π, 2.275) and (9.42478, 2.475).
inline double branin(double x1, double x2) {
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double u = x2 - b * x1 * x1 + c * x1 - 6;
  return u * u + 10 * (1 - t) * std::cos(x1) + 10;
}

/// A learning rate's loss as a sweep sees it: a parabola in log10(lr) with its
/// minimum 0 at lr = 0.03, over log_uniform [1e-5, 1].
inline double log_quadratic(double lr) {
  const double d = std::log10(lr) - std::log10(0.03);
  return d * d;
}

inline const std::map<std::string, TestObjective>& test_objectives() {
  static const std::map<std::string, TestObjective> objectives = {
      {"branin",
       {{{"x1", range_of(Distribution::Kind::Uniform, -5, 10)}, {"x2", range_of(Distribution::Kind::Uniform, 0, 15)}},
        [](const nlohmann::json& p) { return branin(p.at("x1").get<double>(), p.at("x2").get<double>()); },
        0.397887}},
      {"log_quadratic_lr",
       {{{"optimizer.lr", range_of(Distribution::Kind::LogUniform, 1e-5, 1)}},
        [](const nlohmann::json& p) { return log_quadratic(p.at("optimizer.lr").get<double>()); },
        0.0}},
  };
  return objectives;
}

inline const TestObjective& test_objective(const std::string& name) {
  const auto it = test_objectives().find(name);
  if (it == test_objectives().end()) throw std::invalid_argument("no test objective " + name);
  return it->second;
}

/// The one-sided Mann–Whitney U test's p-value for "values in `a` tend to be smaller
/// than those in `b`", by the normal approximation with the tie correction and a
/// continuity correction of ½ (Mann and Whitney, Ann. Math. Statist. 18, 1947; the
/// variance with ties as in Hollander, Wolfe and Chicken, "Nonparametric Statistical
/// Methods", 3rd ed., §4.1, and scipy.stats.mannwhitneyu's method="asymptotic"):
///   U = R_a − n_a(n_a + 1)/2, R_a the sum of a's ranks in the pooled sample (ties get
///   their mean rank), E[U] = n_a n_b / 2,
///   Var[U] = n_a n_b / 12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))), t each tie group's size,
///   p = Φ((U − E[U] + ½) / √Var[U]).
inline double mann_whitney_less_p(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> pooled;
  for (double v : a) pooled.push_back({v, 0});
  for (double v : b) pooled.push_back({v, 1});
  std::sort(pooled.begin(), pooled.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  const double n = static_cast<double>(pooled.size());
  double rank_sum_a = 0, ties = 0;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    for (size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) rank_sum_a += mean_rank;
    i = j;
  }
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double u = rank_sum_a - na * (na + 1) / 2;
  const double variance = na * nb / 12 * ((n + 1) - ties / (n * (n - 1)));
  const double z = (u - na * nb / 2 + 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

/// A model-based search proposing the next point from the finished runs.
using Proposer = std::function<nlohmann::json(const SearchSpace&, const std::vector<Observation>&, uint64_t seed)>;

struct Comparison {
  double median_best = 0;         ///< the search's best value after the trials, the median over seeds
  double random_median_best = 0;  ///< random search's
  double p_value = 1;             ///< one-sided Mann–Whitney: the search's best values tend to be smaller
};

/// Runs the search and random search on the objective `name` for seeds 1 .. `seeds`,
/// `trials` evaluations each, and compares the best values found. Both start alike:
/// the search's first `startup` points are the draws random search makes with that
/// seed (as plan_sweep draws a tpe or bayes sweep's first runs); each later point is
/// proposed from all the earlier ones with its own seed.
inline Comparison compare_with_random(const std::string& name, int trials, int startup, const Proposer& propose,
                                      int seeds = 30) {
  const TestObjective& objective = test_objective(name);
  std::vector<double> searched, random;
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    Sampler alone(seed);
    double best = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) best = std::min(best, objective.evaluate(random_point(objective.space, alone)));
    random.push_back(best);
    Sampler plan(seed);
    std::vector<Observation> finished;
    best = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      const nlohmann::json point = t < startup ? random_point(objective.space, plan)
                                               : propose(objective.space, finished, seed * 1000003 + static_cast<uint64_t>(t));
      finished.push_back({point, objective.evaluate(point)});
      best = std::min(best, finished.back().objective);
    }
    searched.push_back(best);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  return {median(searched), median(random), mann_whitney_less_p(searched, random)};
}

}  // namespace torchsweep::testing
