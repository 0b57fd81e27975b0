// Thinning a curve for a chart keeps each interval's minimum and maximum. The expected
// indices are worked out by hand from the values written in each test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "results/curve_envelope.h"

namespace {

using torchsweep::envelope_indices;
using torchsweep::envelope_union;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(CurveEnvelope, ShortCurvesKeepEveryPoint) {
  // 6 points, 3 intervals: 6 <= 2·3, nothing to thin.
  EXPECT_EQ(envelope_indices({5, 4, 3, 2, 1, 0}, 3), (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(envelope_indices(std::vector<double>{}, 3), (std::vector<size_t>{}));
}

TEST(CurveEnvelope, EachIntervalKeepsItsMinimumAndMaximum) {
  // 12 points in 2 intervals of 6: [0, 6) and [6, 12).
  //   index:  0  1  2  3   4  5 |  6  7  8  9 10 11
  //   value:  3  1  4  1   5  9 |  2  6 -5  3  5  8
  // Interval 0: min 1 first at 1, max 9 at 5. Interval 1: min -5 at 8, max 8 at 11.
  // With the first (0) and last (11) points: 0, 1, 5, 8, 11.
  const std::vector<double> values{3, 1, 4, 1, 5, 9, 2, 6, -5, 3, 5, 8};
  EXPECT_EQ(envelope_indices(values, 2), (std::vector<size_t>{0, 1, 5, 8, 11}));
}

TEST(CurveEnvelope, AOneStepSpikeSurvivesALongCurve) {
  // 10,000 points on a slow ramp with one spike at 7,777 and one dip at 1,234: drawn
  // 100 wide, at most 2 per interval plus the ends are kept, and both extremes are.
  std::vector<double> values(10000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 1.0 - 1e-5 * static_cast<double>(i);
  values[7777] = 50.0;
  values[1234] = -50.0;
  const auto kept = envelope_indices(values, 100);
  EXPECT_LE(kept.size(), 2u * 100u + 2u);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 7777u), kept.end());
  EXPECT_NE(std::find(kept.begin(), kept.end(), 1234u), kept.end());
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 9999u);
  // Interval 12 holds indices [1200, 1300): on the falling ramp its max is its first
  // point, 1200, and its min the dip, 1234.
  EXPECT_NE(std::find(kept.begin(), kept.end(), 1200u), kept.end());
}

TEST(CurveEnvelope, NaNsAreNotComparedAndAllNaNIntervalsKeepAGap) {
  // 8 points in 2 intervals of 4: [NaN 2 NaN 1] keeps 1 (max 2) and 3 (min 1);
  // [NaN NaN NaN NaN] keeps its first index, 4; and the ends 0 and 7.
  const std::vector<double> values{kNaN, 2, kNaN, 1, kNaN, kNaN, kNaN, kNaN};
  EXPECT_EQ(envelope_indices(values, 2), (std::vector<size_t>{0, 1, 3, 4, 7}));
}

TEST(CurveEnvelope, SeveralSeriesKeepTheUnionOfTheirExtremes) {
  // Two series of 8 in 2 intervals: a keeps 0, 1, 2 | 4, 5, 7; b keeps 0, 3 | 5, 6, 7.
  const std::vector<double> a{0, 9, -9, 0, 5, 1, 1, 1};
  const std::vector<double> b{1, 1, 1, 7, 0, -3, 4, 0};
  EXPECT_EQ(envelope_indices(a, 2), (std::vector<size_t>{0, 1, 2, 4, 5, 7}));
  EXPECT_EQ(envelope_union({&a, &b}, 2), (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(torchsweep::pick(a, {1, 2}), (std::vector<double>{9, -9}));
}

}  // namespace
