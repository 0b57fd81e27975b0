// Each lane draws what its run alone would draw from the default generator, whatever
// the other lanes drew before it, and the default generator is left as it was.
#include "train/lane_generators.h"

#include "tests/test_helpers.h"

namespace {

using torchsweep::LaneGenerators;

/// A run alone: seeded, then two dropout draws of its own shapes.
std::vector<torch::Tensor> alone(uint64_t seed, int64_t size) {
  torch::manual_seed(seed);
  const auto x = torch::ones({size});
  return {torch::dropout(x, 0.5, true), torch::dropout(x, 0.5, true)};
}

TEST(LaneGeneratorsTest, EachLaneDrawsItsRunAlonesMasksInTurn) {
  const auto lane0 = alone(3, 64), lane1 = alone(3, 64), lane2 = alone(5, 32);
  LaneGenerators generators(torch::kCPU);
  for (uint64_t seed : {3, 3, 5}) {
    torch::manual_seed(seed);
    generators.add_lane_from_default();
  }
  ASSERT_EQ(generators.lanes(), 3);
  torch::manual_seed(99);
  const auto outside = torch::rand({4});  // what the default generator gives after seed 99
  torch::manual_seed(99);
  // Interleaved as a fused step draws: lane 0, 1, 2, then each lane's second draw.
  std::vector<std::vector<torch::Tensor>> drawn(3);
  for (int round = 0; round < 2; ++round)
    for (int64_t k = 0; k < 3; ++k)
      drawn[k].push_back(generators.in_lane(k, [&] { return torch::dropout(torch::ones({k == 2 ? 32 : 64}), 0.5, true); }));
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(torch::equal(drawn[0][i], lane0[i])) << "draw " << i;
    EXPECT_TRUE(torch::equal(drawn[1][i], lane1[i])) << "draw " << i;
    EXPECT_TRUE(torch::equal(drawn[2][i], lane2[i])) << "draw " << i;
  }
  // Lanes 0 and 1 share a seed but not a generator: lane 1 did not draw after lane 0.
  EXPECT_TRUE(torch::equal(drawn[0][1], drawn[1][1]));
  EXPECT_FALSE(torch::equal(drawn[0][0], drawn[0][1]));
  EXPECT_TRUE(torch::equal(torch::rand({4}), outside)) << "the default generator is as it was";
}

TEST(LaneGeneratorsTest, ALaneThatThrowsStillGivesTheGeneratorBack) {
  LaneGenerators generators(torch::kCPU);
  torch::manual_seed(1);
  generators.add_lane_from_default();
  torch::manual_seed(2);
  const auto expected = torch::rand({3});
  torch::manual_seed(2);
  EXPECT_THROW(generators.in_lane(0, [&]() -> int {
    (void)torch::rand({5});
    throw std::runtime_error("lane failed");
  }),
               std::runtime_error);
  EXPECT_TRUE(torch::equal(torch::rand({3}), expected));
  // The lane's own state moved on by the draw it made.
  torch::manual_seed(1);
  (void)torch::rand({5});
  const auto next = torch::rand({3});
  EXPECT_TRUE(torch::equal(generators.in_lane(0, [] { return torch::rand({3}); }), next));
}

}  // namespace
