// TensorDataset's batching, shuffling and validation split, and the per-channel
// normalisation the image loaders share, on tensors made here.
#include "data/tensor_dataset.h"

#include <set>

#include "tests/test_helpers.h"

namespace {

using torchsweep::BatchOptions;
using torchsweep::TensorDataset;
using torchsweep::TensorSplit;

TensorSplit numbered(int64_t n) {
  // Sample i is the value i everywhere, its target i: a batch shows which samples it holds.
  return {torch::arange(n, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 2, 2, 2}).contiguous(),
          torch::arange(n, torch::kInt64)};
}

TEST(TensorDatasetTest, NormalisesEachChannelWithItsOwnMeanAndStd) {
  auto images = torch::full({2, 3, 2, 2}, 0.5);
  torchsweep::normalise_channels(images, {0.1, 0.2, 0.3}, {0.5, 0.25, 2.0});
  EXPECT_FLOAT_EQ(images[1][0][1][1].item<float>(), (0.5f - 0.1f) / 0.5f);
  EXPECT_FLOAT_EQ(images[0][1][0][1].item<float>(), (0.5f - 0.2f) / 0.25f);
  EXPECT_FLOAT_EQ(images[1][2][1][0].item<float>(), (0.5f - 0.3f) / 2.0f);
  // One value serves every channel.
  auto grey = torch::full({1, 3, 1, 1}, 1.0);
  torchsweep::normalise_channels(grey, {0.5}, {0.25});
  EXPECT_TRUE(torch::allclose(grey, torch::full({1, 3, 1, 1}, 2.0)));
  EXPECT_EQ(torchsweep::black_pixel({0.5, 0.2, 0.0}, {0.25, 0.1, 1.0}, 3), (std::vector<double>{-2.0, -2.0, 0.0}));
  EXPECT_EQ(torchsweep::black_pixel({0.5}, {0.25}, 2), (std::vector<double>{-2.0, -2.0}));
}

TEST(TensorDatasetTest, UnshuffledBatchesAreTheSamplesInOrderTheLastOnePartial) {
  TensorDataset data(numbered(10), numbered(5), BatchOptions{4, 3, false, 0.0}, true);
  data.start_epoch(1, 7);
  ASSERT_EQ(data.train_batches(), 3);
  EXPECT_TRUE(torch::equal(data.train_batch(1).targets, torch::arange(4, 8, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.train_batch(2).targets, torch::arange(8, 10, torch::kInt64)));
  ASSERT_EQ(data.test_batches(), 2);
  EXPECT_TRUE(torch::equal(data.test_batch(1).targets, torch::arange(3, 5, torch::kInt64)));
  EXPECT_EQ(data.validation_batches(), 0);
}

TEST(TensorDatasetTest, ShuffledEpochsArePermutationsFixedBySeedAndEpoch) {
  TensorDataset data(numbered(50), {}, BatchOptions{8, 8, true, 0.0}, true);
  auto epoch = [&](int64_t e, uint64_t seed) {
    data.start_epoch(e, seed);
    std::vector<int64_t> order;
    for (int64_t b = 0; b < data.train_batches(); ++b) {
      const auto batch = data.train_batch(b);
      for (int64_t i = 0; i < batch.targets.size(0); ++i) {
        const int64_t t = batch.targets[i].item<int64_t>();
        EXPECT_EQ(batch.inputs[i][1][1][0].item<float>(), static_cast<float>(t)) << "inputs follow their targets";
        order.push_back(t);
      }
    }
    return order;
  };
  const auto a = epoch(1, 3);
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 50u);
  EXPECT_EQ(a, epoch(1, 3));
  EXPECT_NE(a, epoch(2, 3));
  EXPECT_NE(a, epoch(1, 4));
  const auto permutation = torchsweep::epoch_permutation(50, 3, 1);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], permutation[static_cast<int64_t>(i)].item<int64_t>());
}

TEST(TensorDatasetTest, ValidationHoldsOutTheLastTrainingSamples) {
  TensorDataset data(numbered(20), numbered(4), BatchOptions{5, 3, true, 0.25}, true);
  EXPECT_EQ(data.train_size(), 15);
  ASSERT_EQ(data.validation_batches(), 2);
  EXPECT_TRUE(torch::equal(data.validation_batch(0).targets, torch::arange(15, 18, torch::kInt64)));
  EXPECT_TRUE(torch::equal(data.validation_batch(1).targets, torch::arange(18, 20, torch::kInt64)));
  data.start_epoch(1, 1);
  for (int64_t b = 0; b < data.train_batches(); ++b)
    EXPECT_LT(data.train_batch(b).targets.max().item<int64_t>(), 15) << "no validation sample trains";
}

}  // namespace
