// Steps placed on the epoch axis, checked against the arithmetic written out by hand.
#include "results/epoch_axis.h"

#include <gtest/gtest.h>

namespace torchsweep {
namespace {

TEST(EpochAxis, AStepLiesBetweenTheEndsOfItsEpoch) {
  // 469 steps an epoch (60,000 images, batch 128), three epochs.
  const std::vector<int64_t> ends = {469, 938, 1407};
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 0), 0.0);
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 469), 1.0);  // the first epoch's last step
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 470), 1.0 + 1.0 / 469);
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 703), 1.0 + 234.0 / 469);
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 1407), 3.0);
}

TEST(EpochAxis, UnequalEpochsAndStepsPastTheLastEnd) {
  // A last epoch cut short by a step budget: 100, then 30 steps.
  const std::vector<int64_t> ends = {100, 130};
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 50), 0.5);
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 115), 1.5);
  // Past the last recorded end the last epoch's length (30 steps) carries on.
  EXPECT_DOUBLE_EQ(epoch_of_step(ends, 145), 2.5);
}

}  // namespace
}  // namespace torchsweep
