#include "sweep/tpe_sampler.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "spec/fields.h"
#include "tests/sweep/test_objectives.h"
#include "tests/test_helpers.h"

namespace {

using nlohmann::json;
using torchsweep::Distribution;
using torchsweep::Observation;
using torchsweep::SearchSpace;
using torchsweep::testing::range_of;

SearchSpace mixed_space() {
  torchsweep::SpecNode list = torchsweep::SpecNode::list(torchsweep::Mark{});
  for (const char* name : {"sgd", "adam", "rmsprop"}) list.push_back(torchsweep::SpecNode::string(name, torchsweep::Mark{}));
  return {{"optimizer.lr", range_of(Distribution::Kind::LogUniform, 1e-5, 1)},
          {"model.depth", range_of(Distribution::Kind::IntUniform, 1, 8)},
          {"optimizer.momentum", range_of(Distribution::Kind::Uniform, 0, 0.99)},
          {"optimizer.name", torchsweep::choice_of(list)}};
}

/// `n` runs drawn at random with objective `f`.
std::vector<Observation> random_runs(const SearchSpace& space, int n, uint64_t seed,
                                     const std::function<double(const json&)>& f) {
  torchsweep::Sampler sampler(seed);
  std::vector<Observation> runs;
  for (int i = 0; i < n; ++i) {
    json point = torchsweep::random_point(space, sampler);
    runs.push_back({point, f(point)});
  }
  return runs;
}

TEST(TpeSamplerTest, GammaAndWeightsAreOptunasDefaults) {
  // default_gamma(n) = min(ceil(0.1 n), 25).
  EXPECT_EQ(torchsweep::tpe_gamma(1), 1);
  EXPECT_EQ(torchsweep::tpe_gamma(10), 1);
  EXPECT_EQ(torchsweep::tpe_gamma(11), 2);
  EXPECT_EQ(torchsweep::tpe_gamma(99), 10);
  EXPECT_EQ(torchsweep::tpe_gamma(250), 25);
  EXPECT_EQ(torchsweep::tpe_gamma(1000), 25);
  // default_weights: ones below 25; at 30, numpy.linspace(1/30, 1, 5) then 25 ones.
  EXPECT_EQ(torchsweep::tpe_weights(24), std::vector<double>(24, 1.0));
  const auto w = torchsweep::tpe_weights(30);
  ASSERT_EQ(w.size(), 30u);
  const double first = 1.0 / 30, gap = (1 - first) / 4;
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(w[i], first + gap * i, 1e-15) << i;
  for (int i = 5; i < 30; ++i) EXPECT_EQ(w[i], 1.0);
  EXPECT_TRUE(torchsweep::tpe_weights(0).empty());
}

TEST(TpeSamplerTest, DrawsAtRandomUntilTenRunsFinished) {
  const SearchSpace space = mixed_space();
  const auto runs = random_runs(space, 9, 3, [](const json& p) { return p["model.depth"].get<double>(); });
  torchsweep::Sampler reference(77);
  EXPECT_EQ(torchsweep::propose_tpe(space, runs, 77), torchsweep::random_point(space, reference));
  // Failed runs are not counted: nine finished and five failed are still too few.
  auto with_failed = runs;
  for (int i = 0; i < 5; ++i) with_failed.push_back({runs[i].point, std::numeric_limits<double>::quiet_NaN()});
  torchsweep::Sampler again(77);
  EXPECT_EQ(torchsweep::propose_tpe(space, with_failed, 77), torchsweep::random_point(space, again));
  // The tenth makes the model propose.
  auto ten = runs;
  ten.push_back({runs[0].point, 0.5});
  torchsweep::Sampler third(77);
  EXPECT_NE(torchsweep::propose_tpe(space, ten, 77), torchsweep::random_point(space, third));
}

TEST(TpeSamplerTest, SameInputsSameProposalAndEveryValueInTheSpace) {
  const SearchSpace space = mixed_space();
  const auto runs = random_runs(space, 30, 5, [](const json& p) {
    return torchsweep::testing::log_quadratic(p["optimizer.lr"].get<double>()) + p["model.depth"].get<double>() / 8;
  });
  std::set<std::string> proposals;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const json a = torchsweep::propose_tpe(space, runs, seed);
    EXPECT_EQ(a, torchsweep::propose_tpe(space, runs, seed));
    proposals.insert(a.dump());
    const double lr = a["optimizer.lr"].get<double>();
    EXPECT_TRUE(lr >= 1e-5 && lr <= 1) << a;
    ASSERT_TRUE(a["model.depth"].is_number_integer()) << a;
    EXPECT_TRUE(a["model.depth"] >= 1 && a["model.depth"] <= 8) << a;
    const double momentum = a["optimizer.momentum"].get<double>();
    EXPECT_TRUE(momentum >= 0 && momentum <= 0.99) << a;
    EXPECT_NO_THROW(torchsweep::to_unit(space[3].distribution, a["optimizer.name"])) << a;
  }
  EXPECT_GT(proposals.size(), 30u);  // other seeds, other points
}

TEST(TpeSamplerTest, ProposesTheChoiceThatWon) {
  // Only "adam" scores well; with 20 runs the two best (γ(20) = 2) are adam runs,
  // and l(x)/g(x) is largest at adam.
  const SearchSpace space = mixed_space();
  const auto runs = random_runs(space, 20, 9, [](const json& p) { return p["optimizer.name"] == "adam" ? 0.0 : 1.0; });
  int adam = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) adam += torchsweep::propose_tpe(space, runs, seed)["optimizer.name"] == "adam";
  EXPECT_GE(adam, 45);
}

TEST(TpeSamplerTest, BeatsRandomSearchOnBraninAndALearningRateSurface) {
  for (const char* name : {"branin", "log_quadratic_lr"}) {
    const auto comparison = torchsweep::testing::compare_with_random(
        name, 30, 10, [](const SearchSpace& space, const std::vector<Observation>& finished, uint64_t seed) {
          return torchsweep::propose_tpe(space, finished, seed);
        });
    std::printf("TPE on %s, 30 seeds of 30 runs: median best %.4g (random %.4g), one-sided Mann-Whitney p = %.3g\n",
                name, comparison.median_best, comparison.random_median_best, comparison.p_value);
    EXPECT_LT(comparison.p_value, 0.05) << name;
  }
}

}  // namespace
