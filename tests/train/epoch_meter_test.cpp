// The epoch meter: sums read per batch and sums read later from a buffer are the same
// numbers, bit for bit, and the first non-finite loss is found at its own step.
#include "train/epoch_meter.h"

#include <cmath>
#include <limits>

#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

struct FakeBatch {
  torch::Tensor loss, outputs, targets;
};

/// Batches of sizes 3 and 2 alternately with losses that are not exact in binary.
std::vector<FakeBatch> batches(int n, float bad_at = -1, float bad_value = 0) {
  std::vector<FakeBatch> out;
  for (int i = 0; i < n; ++i) {
    const int64_t size = i % 2 ? 2 : 3;
    const float loss = i == bad_at ? bad_value : 0.1f * static_cast<float>(i + 1) + 1.0f / 3.0f;
    auto outputs = torch::zeros({size, 4});
    auto targets = torch::zeros({size}, torch::kInt64);
    for (int64_t s = 0; s < size; ++s) {
      outputs[s][(i + s) % 4] = 1.0;
      targets[s] = (s == 0 ? (i + s) % 4 : 3 - (i + s) % 4);  // the first sample of each batch is right
    }
    out.push_back({torch::tensor(loss), outputs, targets});
  }
  return out;
}

TEST(EpochMeter, PerBatchSumsAreTheFormula) {
  EpochMeter meter(torch::kCPU, true, MeterReads::PerBatch);
  meter.reset();
  double expected_sum = 0;
  int64_t expected_correct = 0, expected_samples = 0;
  const auto data = batches(5);
  for (int i = 0; i < 5; ++i) {
    meter.add(i, data[i].loss, data[i].outputs, data[i].targets);
    const int64_t n = data[i].outputs.size(0);
    expected_sum += static_cast<double>(data[i].loss.item<float>()) * static_cast<double>(n);
    expected_samples += n;
    expected_correct += 1;  // only sample 0: x == 3 - x has no integer solution for the others
  }
  const auto& totals = meter.read();
  EXPECT_EQ(totals.loss_sum, expected_sum);
  EXPECT_EQ(totals.samples, expected_samples);
  EXPECT_EQ(totals.correct, expected_correct);
  EXPECT_DOUBLE_EQ(totals.accuracy(), 5.0 / 13.0);
  EXPECT_EQ(meter.last_loss(), static_cast<double>(data[4].loss.item<float>()));
  EXPECT_FALSE(meter.non_finite());
}

TEST(EpochMeter, DeferredReadsGiveTheSameBitsAndGrowPastTheFirstBuffer) {
  EpochMeter now(torch::kCPU, true, MeterReads::PerBatch), later(torch::kCPU, true, MeterReads::Deferred);
  EXPECT_TRUE(later.deferred());
  EXPECT_FALSE(now.deferred());
  now.reset({1.5, 2, 4});  // a resumed epoch's sums
  later.reset({1.5, 2, 4});
  const auto data = batches(150);  // more than the first buffer's 64 rows before a read
  for (int i = 0; i < 150; ++i) {
    now.add(i, data[i].loss, data[i].outputs, data[i].targets);
    later.add(i, data[i].loss, data[i].outputs, data[i].targets);
    if (i == 20) {
      EXPECT_EQ(later.last_read().samples, 4) << "nothing is read before read()";
    }
  }
  EXPECT_EQ(later.samples_added(), now.samples_added());
  const EpochTotals a = now.read(), b = later.read();
  EXPECT_EQ(a.loss_sum, b.loss_sum);
  EXPECT_EQ(a.correct, b.correct);
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(now.last_loss(), later.last_loss());
}

TEST(EpochMeter, TheFirstNonFiniteLossIsFoundAtItsStep) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    for (const auto reads : {MeterReads::PerBatch, MeterReads::Deferred}) {
      EpochMeter meter(torch::kCPU, false, reads);
      meter.reset();
      const auto data = batches(10, 6, bad);
      for (int i = 0; i < 10; ++i) meter.add(100 + i, data[i].loss, data[i].outputs, data[i].targets);
      meter.read();
      ASSERT_TRUE(meter.non_finite());
      EXPECT_EQ(meter.non_finite()->step, 106);
      EXPECT_EQ(std::isnan(meter.non_finite()->loss), std::isnan(bad));
      EXPECT_EQ(meter.last_loss(), static_cast<double>(data[5].loss.item<float>()))
          << "the last loss is the last finite one before it";
      meter.reset();
      EXPECT_FALSE(meter.non_finite()) << "reset starts over";
    }
  }
}

}  // namespace
}  // namespace torchsweep
