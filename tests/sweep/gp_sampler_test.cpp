#include "sweep/gp_sampler.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "tests/sweep/test_objectives.h"
#include "tests/test_helpers.h"

namespace {

using nlohmann::json;
using torchsweep::Distribution;
using torchsweep::Observation;
using torchsweep::SearchSpace;
using torchsweep::testing::range_of;

const double kPi = 3.14159265358979323846;

SearchSpace unit_line() { return {{"x", range_of(Distribution::Kind::Uniform, 0, 1)}}; }

TEST(GpSamplerTest, DrawsAtRandomUntilTwoRunsFinished) {
  const SearchSpace space = torchsweep::testing::test_objective("branin").space;
  torchsweep::Sampler reference(4);
  EXPECT_EQ(torchsweep::propose_gp(space, {}, 4), torchsweep::random_point(space, reference));
  torchsweep::Sampler again(4);
  EXPECT_EQ(torchsweep::propose_gp(space, {{json{{"x1", 1.0}, {"x2", 2.0}}, 3.0}}, 4),
            torchsweep::random_point(space, again));
}

TEST(GpSamplerTest, TwoRunsFitTheMarginalLikelihoodInClosedForm) {
  // Objectives 0 and 1 normalise to ∓1/(1 + 2e-6) (W&B adds 1e-6 to the spread 0.5).
  // With correlation k between the two points, yᵀK⁻¹y = 2y²/(d − k) and
  // log|K| = log(d² − k²), d = 1 + 1e-7 (the nugget): the likelihood is largest at
  // k = 0, the shortest length scale allowed (1e-5), where
  // log p = −y²/d − log d − log 2π.
  const std::vector<Observation> runs = {{json{{"x", 0.0}}, 0.0}, {json{{"x", 0.5}}, 1.0}};
  const auto fit = torchsweep::fit_gp(unit_line(), runs, {{0.0}, {0.5}, {0.25}});
  EXPECT_NEAR(fit.length_scale, 1e-5, 1e-9);
  const double y = 0.5 / (0.5 + 1e-6), d = 1 + 1e-7;
  EXPECT_NEAR(fit.log_marginal_likelihood, -y * y / d - std::log(d) - std::log(2 * kPi), 1e-9);
  // Far from both runs the prediction is the prior: their mean, with their spread.
  EXPECT_NEAR(fit.mean[2], 0.5, 1e-9);
  EXPECT_NEAR(fit.stddev[2], 0.5 + 1e-6, 1e-9);
  // At a run, its objective.
  EXPECT_NEAR(fit.mean[0], 0.0, 1e-6);
  EXPECT_NEAR(fit.mean[1], 1.0, 1e-6);
}

TEST(GpSamplerTest, SmoothDataGetsALongLengthScaleAndIsInterpolated) {
  std::vector<Observation> runs;
  for (double x : {0.0, 0.2, 0.45, 0.7, 1.0}) runs.push_back({json{{"x", x}}, std::sin(3 * x)});
  const auto fit = torchsweep::fit_gp(unit_line(), runs, {{0.0}, {0.45}, {1.0}, {0.3}});
  EXPECT_GT(fit.length_scale, 0.1);  // far from its lower bound 1e-5: the runs inform each other
  EXPECT_NEAR(fit.mean[0], 0.0, 1e-3);
  EXPECT_NEAR(fit.mean[1], std::sin(1.35), 1e-3);
  EXPECT_NEAR(fit.mean[2], std::sin(3.0), 1e-3);
  EXPECT_LT(fit.stddev[1], 1e-2);
  // Between runs the mean follows the curve and is less certain.
  EXPECT_NEAR(fit.mean[3], std::sin(0.9), 0.05);
  EXPECT_GT(fit.stddev[3], fit.stddev[1]);
}

TEST(GpSamplerTest, FitsAndPredictsAsScikitLearnDoesForWandb) {
  // Eight Branin runs drawn with seed 3. The expected numbers are scikit-learn 1.2.1's,
  // fitted as W&B's fit_normalized_gaussian_process does (y normalised by its mean and
  // standard deviation + 1e-6, GaussianProcessRegressor(kernel=Matern(nu), alpha=1e-7,
  // n_restarts_optimizer=2, random_state=2)), then mean·σ + μ and std·σ at three points.
  const auto& branin = torchsweep::testing::test_objective("branin");
  torchsweep::Sampler sampler(3);
  std::vector<Observation> runs;
  for (int i = 0; i < 8; ++i) {
    const json point = torchsweep::random_point(branin.space, sampler);
    runs.push_back({point, branin.evaluate(point)});
  }
  ASSERT_NEAR(runs[0].objective, 1.3803309136173247, 1e-12);  // the draws scikit-learn was given
  const std::vector<std::vector<double>> at = {{0.1, 0.2}, {0.5, 0.5}, {0.9, 0.1}};
  struct Expected {
    double nu, length_scale, log_likelihood;
    std::vector<double> mean, stddev;
  };
  for (const Expected& e : {Expected{1.5, 0.3215453075, -8.651056135, {48.34364295, 33.01231818, 35.4730469},
                                     {31.08372709, 20.42403449, 29.03002496}},
                            Expected{2.5, 0.3094307008, -8.070001645, {50.28018561, 30.86388819, 37.327056},
                                     {29.64402575, 15.37231607, 25.62123776}}}) {
    torchsweep::GpOptions options;
    options.nu = e.nu;
    const auto fit = torchsweep::fit_gp(branin.space, runs, at, options);
    EXPECT_NEAR(fit.length_scale, e.length_scale, 1e-7) << e.nu;
    EXPECT_NEAR(fit.log_marginal_likelihood, e.log_likelihood, 1e-8) << e.nu;
    for (size_t i = 0; i < at.size(); ++i) {
      EXPECT_NEAR(fit.mean[i], e.mean[i], 1e-6) << e.nu << " " << i;
      EXPECT_NEAR(fit.stddev[i], e.stddev[i], 1e-5) << e.nu << " " << i;
    }
  }
}

TEST(GpSamplerTest, FailedRunsCountAtTheWorstObjective) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<Observation> failed = {{json{{"x", 0.1}}, 0.3}, {json{{"x", 0.5}}, nan}, {json{{"x", 0.8}}, 0.9},
                                     {json{{"x", 0.95}}, inf}};
  std::vector<Observation> imputed = {{json{{"x", 0.1}}, 0.3}, {json{{"x", 0.5}}, 0.9}, {json{{"x", 0.8}}, 0.9},
                                      {json{{"x", 0.95}}, 0.9}};
  const std::vector<std::vector<double>> at = {{0.0}, {0.3}, {0.5}, {0.66}, {1.0}};
  const auto a = torchsweep::fit_gp(unit_line(), failed, at);
  const auto b = torchsweep::fit_gp(unit_line(), imputed, at);
  EXPECT_EQ(a.length_scale, b.length_scale);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(torchsweep::propose_gp(unit_line(), failed, 8), torchsweep::propose_gp(unit_line(), imputed, 8));
}

TEST(GpSamplerTest, SameInputsSameProposalAndRunsInFlightPushItAway) {
  const auto& branin = torchsweep::testing::test_objective("branin");
  torchsweep::Sampler sampler(21);
  std::vector<Observation> runs;
  for (int i = 0; i < 12; ++i) {
    const json point = torchsweep::random_point(branin.space, sampler);
    runs.push_back({point, branin.evaluate(point)});
  }
  std::set<std::string> proposals;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const json a = torchsweep::propose_gp(branin.space, runs, seed);
    EXPECT_EQ(a, torchsweep::propose_gp(branin.space, runs, seed));
    proposals.insert(a.dump());
    // The same point again while the first is still training: the GP believes its
    // prediction there, which leaves little to gain at it.
    const json b = torchsweep::propose_gp(branin.space, runs, seed, {}, {a});
    std::vector<double> ua, ub;
    ASSERT_TRUE(torchsweep::point_to_unit(branin.space, a, ua));
    ASSERT_TRUE(torchsweep::point_to_unit(branin.space, b, ub));
    EXPECT_GT(std::hypot(ua[0] - ub[0], ua[1] - ub[1]), 0.01) << a << " " << b;
  }
  EXPECT_GE(proposals.size(), 1u);
}

TEST(GpSamplerTest, BeatsRandomSearchOnBraninAndALearningRateSurface) {
  for (const char* name : {"branin", "log_quadratic_lr"}) {
    const auto comparison = torchsweep::testing::compare_with_random(
        name, 30, 2, [](const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed) {
          return torchsweep::propose_gp(space, finished, seed);
        });
    std::printf("GP on %s, 30 seeds of 30 runs: median best %.4g (random %.4g), one-sided Mann-Whitney p = %.3g\n",
                name, comparison.median_best, comparison.random_median_best, comparison.p_value);
    EXPECT_LT(comparison.p_value, 0.05) << name;
  }
}

}  // namespace
