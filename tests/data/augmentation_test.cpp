// Random crop with padding and horizontal flip, checked against torchvision's
// RandomCrop(size, padding) + RandomHorizontalFlip semantics re-done here in plain loops:
// every output image is a window of the image padded with black pixels, mirrored or not.
#include "data/augmentation.h"

#include <set>
#include <tuple>

#include "data/tensor_dataset.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::AugmentOptions;
using torchsweep::Augmentation;

const std::vector<double> kMean{0.4914, 0.4822, 0.4465}, kStd{0.2470, 0.2435, 0.2616};

/// Images [n, 3, h, w] with values that differ at every position and never equal a
/// fill value.
torch::Tensor distinct_images(int64_t n, int64_t h, int64_t w) {
  return torch::arange(n * 3 * h * w, torch::kFloat32).reshape({n, 3, h, w}).add_(10.0);
}

/// The pixel of `image` [3, h, w] at (c, y, x) of the output of a crop at (top, left) of
/// the image padded by `pad` pixels of `fill`, mirrored first when `flipped`: what
/// torchvision's pad, crop and flip give, one pixel at a time.
float reference_pixel(const torch::TensorAccessor<float, 3>& image, int64_t h, int64_t w, int64_t pad,
                      const std::vector<double>& fill, int64_t top, int64_t left, bool flipped, int64_t c, int64_t y,
                      int64_t x) {
  const int64_t column = flipped ? w - 1 - x : x;  // the flip mirrors the cropped window
  const int64_t py = top + y, px = left + column;  // in the padded image
  const int64_t sy = py - pad, sx = px - pad;      // in the original
  if (sy < 0 || sy >= h || sx < 0 || sx >= w) return static_cast<float>(fill[static_cast<size_t>(c)]);
  return image[c][sy][sx];
}

struct Draw {
  int64_t top, left;
  bool flipped;
  bool operator<(const Draw& o) const { return std::tie(top, left, flipped) < std::tie(o.top, o.left, o.flipped); }
};

/// The crops and flips that turn `input` [3, h, w] into `output`: every (top, left,
/// flipped) whose reference image equals it exactly.
std::vector<Draw> explaining_draws(const torch::Tensor& input, const torch::Tensor& output, int64_t pad,
                                   bool flip, const std::vector<double>& fill) {
  const int64_t h = input.size(1), w = input.size(2);
  const auto in = input.accessor<float, 3>();
  const auto out = output.accessor<float, 3>();
  std::vector<Draw> found;
  for (int64_t top = 0; top <= 2 * pad; ++top)
    for (int64_t left = 0; left <= 2 * pad; ++left)
      for (const bool flipped : {false, true}) {
        if (flipped && !flip) continue;
        bool same = true;
        for (int64_t c = 0; c < 3 && same; ++c)
          for (int64_t y = 0; y < h && same; ++y)
            for (int64_t x = 0; x < w && same; ++x)
              same = out[c][y][x] == reference_pixel(in, h, w, pad, fill, top, left, flipped, c, y, x);
        if (same) found.push_back({top, left, flipped});
      }
  return found;
}

TEST(AugmentationTest, EachImageIsAWindowOfTheBlackPaddedImageMirroredOrNot) {
  const int64_t n = 200, h = 6, w = 5, pad = 2;
  const auto fill = torchsweep::black_pixel(kMean, kStd, 3);
  EXPECT_DOUBLE_EQ(fill[1], -0.4822 / 0.2435);
  const Augmentation augmentation(AugmentOptions{pad, true}, fill);
  const auto images = distinct_images(n, h, w);
  const auto out = augmentation.apply(images, 7, 1, 0);
  ASSERT_EQ(out.sizes(), images.sizes());
  std::set<Draw> seen;
  int64_t flips = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto draws = explaining_draws(images[i], out[i], pad, true, fill);
    ASSERT_EQ(draws.size(), 1u) << "image " << i << ": not one window of the padded image";
    seen.insert(draws[0]);
    flips += draws[0].flipped;
  }
  // 50 possible draws (5 x 5 offsets, flipped or not) over 200 images: most of them
  // appear, and about half the images are flipped.
  EXPECT_GE(seen.size(), 40u);
  EXPECT_GT(flips, 60);
  EXPECT_LT(flips, 140);
}

TEST(AugmentationTest, CropWithoutFlipAndFlipWithoutCrop) {
  const auto images = distinct_images(50, 4, 4);
  const std::vector<double> fill{-1.0, -2.0, -3.0};
  const auto cropped = Augmentation(AugmentOptions{1, false}, fill).apply(images, 3, 0, 5);
  const auto flipped = Augmentation(AugmentOptions{0, true}, fill).apply(images, 3, 0, 5);
  int64_t mirrored = 0;
  for (int64_t i = 0; i < 50; ++i) {
    const auto crop = explaining_draws(images[i], cropped[i], 1, false, fill);
    ASSERT_EQ(crop.size(), 1u) << i;
    const auto flip = explaining_draws(images[i], flipped[i], 0, true, fill);
    ASSERT_EQ(flip.size(), 1u) << i;
    mirrored += flip[0].flipped;
    // A mirrored image is its columns reversed, with no padded pixel.
    EXPECT_TRUE(torch::equal(flipped[i], flip[0].flipped ? images[i].flip({2}) : images[i]));
  }
  EXPECT_GT(mirrored, 10);
  EXPECT_LT(mirrored, 40);
}

TEST(AugmentationTest, ThePaddedPixelsAreEachChannelsFill) {
  // A crop at the corner of the padding (offset 0, 0) shows `pad` rows and columns of fill.
  const auto images = distinct_images(300, 3, 3);
  const std::vector<double> fill{-1.5, 0.25, -7.0};
  const auto out = Augmentation(AugmentOptions{2, false}, fill).apply(images, 11, 2, 3);
  bool corner = false;
  for (int64_t i = 0; i < 300 && !corner; ++i) {
    const auto draws = explaining_draws(images[i], out[i], 2, false, fill);
    ASSERT_EQ(draws.size(), 1u);
    if (draws[0].top == 0 && draws[0].left == 0) {
      corner = true;
      for (int64_t c = 0; c < 3; ++c) {
        EXPECT_FLOAT_EQ(out[i][c][0][0].item<float>(), fill[c]);
        EXPECT_FLOAT_EQ(out[i][c][1][1].item<float>(), fill[c]);
        EXPECT_FLOAT_EQ(out[i][c][2][2].item<float>(), images[i][c][0][0].item<float>());
      }
    }
  }
  EXPECT_TRUE(corner) << "25 offsets over 300 images: (0, 0) is drawn";
}

TEST(AugmentationTest, TheSameSeedEpochAndBatchGiveTheSameBatch) {
  const auto images = distinct_images(64, 8, 8);
  const Augmentation augmentation(AugmentOptions{4, true}, torchsweep::black_pixel(kMean, kStd, 3));
  const auto a = augmentation.apply(images, 42, 3, 7);
  EXPECT_TRUE(torch::equal(a, augmentation.apply(images, 42, 3, 7)));
  // Another augmentation object with the same options draws the same.
  EXPECT_TRUE(torch::equal(a, Augmentation(AugmentOptions{4, true}, torchsweep::black_pixel(kMean, kStd, 3))
                                  .apply(images, 42, 3, 7)));
  EXPECT_FALSE(torch::equal(a, augmentation.apply(images, 43, 3, 7))) << "another seed";
  EXPECT_FALSE(torch::equal(a, augmentation.apply(images, 42, 4, 7))) << "another epoch";
  EXPECT_FALSE(torch::equal(a, augmentation.apply(images, 42, 3, 8))) << "another batch";
  // Seeds that differ only in their high 32 bits differ too.
  EXPECT_FALSE(torch::equal(a, augmentation.apply(images, 42 + (uint64_t{1} << 32), 3, 7)));
}

TEST(AugmentationTest, InactiveLeavesTheImagesAlone) {
  const auto images = distinct_images(4, 5, 5);
  const Augmentation none;
  EXPECT_FALSE(none.active());
  EXPECT_TRUE(torch::equal(none.apply(images, 1, 1, 1), images));
  EXPECT_FALSE(Augmentation(AugmentOptions{0, false}, {0.0}).active());
  EXPECT_TRUE(Augmentation(AugmentOptions{1, false}, {0.0}).active());
}

TEST(AugmentationTest, FieldsAndTheirDefaults) {
  const auto fields = torchsweep::augment_fields();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].key, "crop_padding");
  EXPECT_EQ(fields[1].key, "flip");
  const auto o = torchsweep::augment_options_from_json({{"crop_padding", 4}, {"flip", true}});
  EXPECT_EQ(o.crop_padding, 4);
  EXPECT_TRUE(o.flip);
}

// ---- in a TensorDataset ----

torchsweep::TensorSplit image_split(int64_t n) {
  return {distinct_images(n, 6, 6), torch::arange(n, torch::kInt64).remainder(10)};
}

/// Every training batch of two epochs, on the CPU.
std::vector<torch::Tensor> two_epochs(torchsweep::TensorDataset& data) {
  std::vector<torch::Tensor> out;
  for (const int64_t epoch : {1, 2}) {
    data.start_epoch(epoch, 5);
    for (int64_t b = 0; b < data.train_batches(); ++b) {
      const auto batch = data.train_batch(b);
      out.push_back(batch.inputs.cpu());
      out.push_back(batch.targets.cpu());
    }
  }
  return out;
}

TEST(AugmentationTest, ADatasetAugmentsTrainingBatchesOnlyTheSameWhetherPlacedOrNot) {
  const auto fill = torchsweep::black_pixel(kMean, kStd, 3);
  const torchsweep::BatchOptions options{8, 8, true, 0.0};
  const auto split = image_split(20);
  torchsweep::TensorDataset placed(split, split, options, true, Augmentation(AugmentOptions{2, true}, fill)),
      unplaced(split, split, options, true, Augmentation(AugmentOptions{2, true}, fill));
  placed.place_on(torch::kCPU);
  const auto a = two_epochs(placed), b = two_epochs(unplaced);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  // Each training image is a window of the sample its label and the epoch's order name.
  unplaced.start_epoch(1, 5);
  const auto order = torchsweep::epoch_permutation(20, 5, 1);
  const auto batch = unplaced.train_batch(1);
  for (int64_t i = 0; i < batch.inputs.size(0); ++i) {
    const auto source = split.inputs[order[8 + i].item<int64_t>()];
    EXPECT_EQ(explaining_draws(source, batch.inputs[i], 2, true, fill).size(), 1u) << i;
  }
  // Evaluation batches are the samples as they are.
  EXPECT_TRUE(torch::equal(unplaced.test_batch(0).inputs, split.inputs.narrow(0, 0, 8)));
}

TEST(AugmentationTest, OnAGpuTheBatchesEqualTheCpuBatches) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto fill = torchsweep::black_pixel(kMean, kStd, 3);
  const torchsweep::BatchOptions options{8, 8, true, 0.0};
  const auto split = image_split(20);
  torchsweep::TensorDataset host(split, split, options, true, Augmentation(AugmentOptions{4, true}, fill)),
      gpu(split, split, options, true, Augmentation(AugmentOptions{4, true}, fill));
  gpu.place_on(torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(gpu.placement(), "cuda:0");
  gpu.start_epoch(1, 5);
  EXPECT_TRUE(gpu.train_batch(0).inputs.is_cuda()) << "augmented on the device";
  const auto a = two_epochs(host), b = two_epochs(gpu);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  // And the augmentation alone, on a batch that lives on the device.
  const Augmentation augmentation(AugmentOptions{4, true}, fill);
  const auto images = distinct_images(32, 32, 32);
  EXPECT_TRUE(torch::equal(augmentation.apply(images, 9, 2, 3),
                           augmentation.apply(images.to(torch::kCUDA), 9, 2, 3).cpu()));
}

}  // namespace
