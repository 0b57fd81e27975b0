#include "results/curve_smoothing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace torchsweep {
namespace {

// The debiased EMA at point k is the average of the finite values so far weighted by
// w^(k−i): computed here from that closed form, not from the recurrence.
double weighted_average(const std::vector<double>& finite, double w) {
  double sum = 0, weights = 0;
  for (size_t i = 0; i < finite.size(); ++i) {
    const double weight = std::pow(w, static_cast<double>(finite.size() - 1 - i));
    sum += weight * finite[i];
    weights += weight;
  }
  return sum / weights;
}

TEST(CurveSmoothing, EachPointIsTheWeightedAverageOfTheValuesSoFar) {
  const std::vector<double> values = {2.3, 1.9, 2.7, 0.4, 1.1, 0.8, 0.95, 0.3, 0.61, 0.2};
  for (const double w : {0.3, 0.6, 0.9, 0.99}) {
    const auto smoothed = debiased_ema(values, w);
    ASSERT_EQ(smoothed.size(), values.size());
    for (size_t k = 0; k < values.size(); ++k) {
      const std::vector<double> so_far(values.begin(), values.begin() + static_cast<long>(k) + 1);
      EXPECT_NEAR(smoothed[k], weighted_average(so_far, w), 1e-12) << "w " << w << " point " << k;
    }
  }
}

TEST(CurveSmoothing, TheFirstPointIsItselfAndAConstantStaysConstant) {
  const auto smoothed = debiased_ema({0.5, 0.5, 0.5, 0.5}, 0.95);
  for (const double v : smoothed) EXPECT_NEAR(v, 0.5, 1e-15);
  EXPECT_DOUBLE_EQ(debiased_ema({3.0, 1.0}, 0.6).front(), 3.0);  // (0.4 · 3) / 0.4, to rounding
  // By hand: w = 0.5 over 1, 2, 3 gives 1, (0.5 + 2) / 1.5, (0.25 + 1 + 3) / 1.75.
  const auto by_hand = debiased_ema({1, 2, 3}, 0.5);
  EXPECT_NEAR(by_hand[1], 2.5 / 1.5, 1e-15);
  EXPECT_NEAR(by_hand[2], 4.25 / 1.75, 1e-15);
}

TEST(CurveSmoothing, NonFiniteValuesStayAndDoNotEnterTheAverage) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const auto smoothed = debiased_ema({1, nan, 3, inf, 5}, 0.5);
  EXPECT_TRUE(std::isnan(smoothed[1]));
  EXPECT_TRUE(std::isinf(smoothed[3]));
  EXPECT_NEAR(smoothed[2], weighted_average({1, 3}, 0.5), 1e-15);
  EXPECT_NEAR(smoothed[4], weighted_average({1, 3, 5}, 0.5), 1e-15);
}

TEST(CurveSmoothing, WeightZeroChangesNothing) {
  const std::vector<double> values = {4, 1, 3};
  EXPECT_EQ(debiased_ema(values, 0), values);
}

}  // namespace
}  // namespace torchsweep
