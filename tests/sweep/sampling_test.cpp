#include "sweep/sampling.h"

#include <cmath>
#include <map>

#include "tests/test_helpers.h"

namespace {

using torchsweep::Distribution;
using torchsweep::Mark;
using torchsweep::Sampler;
using torchsweep::SpecNode;

Distribution range(Distribution::Kind kind, double low, double high) {
  Distribution d;
  d.kind = kind;
  d.low = low;
  d.high = high;
  return d;
}

TEST(SamplingTest, UnitIsTheStandardEnginesOutputOnA53BitGrid) {
  // The C++ standard fixes mt19937_64's 10000th output for the default seed 5489.
  Sampler sampler(5489);
  for (int i = 0; i < 9999; ++i) sampler.unit();
  EXPECT_EQ(sampler.unit(), static_cast<double>(9981545732273789042ULL >> 11) / 9007199254740992.0);
}

TEST(SamplingTest, SameSeedSameDrawsOtherSeedOtherDraws) {
  const auto d = range(Distribution::Kind::LogUniform, 1e-4, 1e-1);
  Sampler a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const double x = a.draw(d).as_double();
    EXPECT_EQ(x, b.draw(d).as_double());
    EXPECT_NE(x, c.draw(d).as_double());
  }
}

TEST(SamplingTest, UniformAndLogUniformStayInRangeWithTheRightMeans) {
  Sampler sampler(1);
  const int n = 20000;
  double sum = 0, log_sum = 0;
  for (int i = 0; i < n; ++i) {
    const double u = sampler.draw(range(Distribution::Kind::Uniform, -2.0, 6.0)).as_double();
    ASSERT_GE(u, -2.0);
    ASSERT_LT(u, 6.0);
    sum += u;
    const double l = sampler.draw(range(Distribution::Kind::LogUniform, 1e-4, 1.0)).as_double();
    ASSERT_GE(l, 1e-4);
    ASSERT_LT(l, 1.0);
    log_sum += std::log10(l);
  }
  // Means of U(-2, 6) and of log10 of log-uniform(1e-4, 1): 2 and -2; std errors ~0.016 and ~0.008.
  EXPECT_NEAR(sum / n, 2.0, 0.08);
  EXPECT_NEAR(log_sum / n, -2.0, 0.04);
}

TEST(SamplingTest, IntUniformCoversBothEndsEvenly) {
  Sampler sampler(3);
  std::map<int64_t, int> counts;
  const int n = 12000;
  for (int i = 0; i < n; ++i) {
    const SpecNode v = sampler.draw(range(Distribution::Kind::IntUniform, 16, 21));
    ASSERT_EQ(v.kind(), SpecNode::Kind::Int);
    ++counts[v.as_int()];
  }
  ASSERT_EQ(counts.size(), 6u);
  EXPECT_EQ(counts.begin()->first, 16);
  EXPECT_EQ(counts.rbegin()->first, 21);
  for (const auto& [value, count] : counts) EXPECT_NEAR(count, n / 6, 150) << value;  // ~4.6 std errors
}

TEST(SamplingTest, ChoicePicksListedValuesWithTheirMarks) {
  SpecNode list = SpecNode::list(Mark{"s.yaml", 3, 5});
  list.push_back(SpecNode::string("sgd", Mark{"s.yaml", 3, 6}));
  list.push_back(SpecNode::string("adam", Mark{"s.yaml", 3, 11}));
  const Distribution d = torchsweep::choice_of(list);
  Sampler sampler(0);
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) {
    const SpecNode v = sampler.draw(d);
    ++seen[v.as_string()];
    EXPECT_EQ(v.mark().column, v.as_string() == "sgd" ? 6 : 11);
  }
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
