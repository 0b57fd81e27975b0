// The IDX reader on small files written here, raw and gzip, and each way they break.
#include "data/idx_dataset.h"

#include <zlib.h>

#include <fstream>
#include <iterator>

#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "train/trainer.h"

namespace {

using torchsweep::InputError;
using torchsweep::testing::TempDir;

std::string be32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

/// An IDX file of unsigned bytes: magic 0x0000080N, dimensions, data.
std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string out = std::string("\0\0\x08", 3) + static_cast<char>(dims.size());
  for (auto d : dims) out += be32(d);
  out.append(data.begin(), data.end());
  return out;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

/// Writes a tiny data set: `n` train and `n` test 2x2 images whose pixels are i*10, labels i % 10.
void write_set(const TempDir& dir, int n, bool gzip, uint8_t bad_label = 0) {
  std::vector<uint8_t> pixels, labels;
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < 4; ++p) pixels.push_back(static_cast<uint8_t>(i * 10));
    labels.push_back(static_cast<uint8_t>(i % 10));
  }
  if (bad_label) labels.back() = bad_label;
  const std::string images = idx_bytes({static_cast<uint32_t>(n), 2, 2}, pixels);
  const std::string label_bytes = idx_bytes({static_cast<uint32_t>(n)}, labels);
  for (const std::string split : {"train", "t10k"}) {
    const std::string img = split + "-images-idx3-ubyte", lab = split + "-labels-idx1-ubyte";
    if (gzip) {
      write_gzip(dir.file(img + ".gz"), images);
      write_gzip(dir.file(lab + ".gz"), label_bytes);
    } else {
      dir.write(img, images);
      dir.write(lab, label_bytes);
    }
  }
}

torchsweep::IdxOptions options_for(const TempDir& dir) {
  torchsweep::IdxOptions o;
  o.root = dir.path();
  o.batches.batch_size = 3;
  o.batches.test_batch_size = 4;
  o.mean = 0.5;
  o.std = 0.25;
  return o;
}

TEST(IdxDatasetTest, ReadsRawAndGzipAlike) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    write_set(dir, 7, gzip);
    const auto array = torchsweep::read_idx(dir.file(std::string("train-images-idx3-ubyte") + (gzip ? ".gz" : "")), 3);
    EXPECT_EQ(array.dims, (std::vector<int64_t>{7, 2, 2}));
    ASSERT_EQ(array.data.size(), 28u);
    EXPECT_EQ(array.data[4], 10);
    torchsweep::IdxDataset data(options_for(dir));
    EXPECT_EQ(data.train_size(), 7);
    EXPECT_EQ(data.train_batches(), 3);  // 3 + 3 + 1
    EXPECT_EQ(data.test_batches(), 2);   // 4 + 3
  }
}

TEST(IdxDatasetTest, NormalisesAsToTensorThenNormalize) {
  TempDir dir;
  write_set(dir, 5, true);
  auto o = options_for(dir);
  o.batches.shuffle = false;
  torchsweep::IdxDataset data(o);
  data.start_epoch(1, 0);
  const auto batch = data.train_batch(1);  // batch size 3: samples 3 and 4
  EXPECT_EQ(batch.inputs.sizes().vec(), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_EQ(batch.inputs.dtype(), torch::kFloat32);
  // Sample 3 has pixels 30: (30/255 - 0.5) / 0.25.
  EXPECT_NEAR(batch.inputs[0][0][1][1].item<double>(), (30.0 / 255.0 - 0.5) / 0.25, 1e-6);
  EXPECT_EQ(batch.targets[1].item<int64_t>(), 4);
  EXPECT_EQ(batch.targets.dtype(), torch::kInt64);
}

TEST(IdxDatasetTest, LimitsTakeTheFirstSamples) {
  TempDir dir;
  write_set(dir, 9, false);
  auto o = options_for(dir);
  o.train_limit = 4;
  o.test_limit = 2;
  torchsweep::IdxDataset data(o);
  EXPECT_EQ(data.train_size(), 4);
  EXPECT_EQ(data.test_batches(), 1);
  EXPECT_EQ(data.test_batch(0).inputs.size(0), 2);
}

TEST(IdxDatasetTest, ValidationHoldsOutTheLastTrainingSamples) {
  TempDir dir;
  write_set(dir, 8, true);
  auto o = options_for(dir);
  o.batches.validation = 0.25;  // 2 of 8
  torchsweep::IdxDataset data(o);
  EXPECT_EQ(data.train_size(), 6);
  EXPECT_EQ(data.train_batches(), 2);
  ASSERT_EQ(data.validation_batches(), 1);
  const auto val = data.validation_batch(0);
  ASSERT_EQ(val.targets.size(0), 2);
  EXPECT_EQ(val.targets[0].item<int64_t>(), 6);  // samples 6 and 7
  EXPECT_EQ(val.targets[1].item<int64_t>(), 7);
  // The training batches never see them, whatever the shuffle.
  data.start_epoch(3, 11);
  for (int64_t b = 0; b < data.train_batches(); ++b)
    EXPECT_LT(data.train_batch(b).targets.max().item<int64_t>(), 6);
}

TEST(IdxDatasetTest, ShuffleIsAPermutationFixedBySeedAndEpoch) {
  const auto a = torchsweep::epoch_permutation(100, 1, 1);
  const auto b = torchsweep::epoch_permutation(100, 1, 1);
  const auto c = torchsweep::epoch_permutation(100, 1, 2);
  const auto d = torchsweep::epoch_permutation(100, 2, 1);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_FALSE(torch::equal(a, d));
  EXPECT_TRUE(torch::equal(std::get<0>(a.sort()), torch::arange(100, torch::kInt64)));
}

TEST(IdxDatasetTest, EachCorruptionIsAClearError) {
  TempDir dir;
  write_set(dir, 6, false);
  const std::string images = dir.file("train-images-idx3-ubyte");
  // Wrong magic number.
  dir.write("bad-magic", std::string("\0\0\x09\x03", 4) + be32(1) + be32(1) + be32(1) + "x");
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("bad-magic"), 3), InputError, "not an IDX file of unsigned bytes");
  // Wrong number of dimensions (a label file read as images).
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("train-labels-idx1-ubyte"), 3), InputError, "1 dimensions, expected 3");
  // Truncated data, raw.
  const std::string full = idx_bytes({6, 2, 2}, std::vector<uint8_t>(24, 1));
  dir.write("short", full.substr(0, full.size() - 5));
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("short"), 3), InputError, "(truncated file)");
  // Truncated gzip stream.
  write_gzip(dir.file("whole.gz"), full);
  std::string gz;
  {
    std::ifstream in(dir.file("whole.gz"), std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  dir.write("cut.gz", gz.substr(0, gz.size() / 2));
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("cut.gz"), 3), InputError, "cut.gz");
  // Corrupt gzip payload.
  std::string corrupt = gz;
  for (size_t i = 12; i < corrupt.size() - 8; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  dir.write("corrupt.gz", corrupt);
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("corrupt.gz"), 3), InputError, "corrupt.gz");
  // Too short for a header.
  dir.write("tiny", "ab");
  ASSERT_THROWS_WITH(torchsweep::read_idx(dir.file("tiny"), 3), InputError, "too short for an IDX file");
}

TEST(IdxDatasetTest, LabelOutOfRangeAndMismatchedCounts) {
  TempDir dir;
  write_set(dir, 4, true, /*bad_label=*/12);
  ASSERT_THROWS_WITH(torchsweep::load_idx_splits(options_for(dir)), InputError,
                     "label 12 of sample 3 is out of range, expected 0 to 9");
  TempDir other;
  write_set(other, 4, false);
  other.write("train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  ASSERT_THROWS_WITH(torchsweep::load_idx_splits(options_for(other)), InputError, "4 images but");
}

TEST(IdxDatasetTest, AWrongRootNamesTheFourFiles) {
  TempDir dir;
  auto o = options_for(dir);
  ASSERT_THROWS_WITH(torchsweep::load_idx_splits(o), InputError,
                     "expected the four IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                     "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz)");
}

}  // namespace

namespace {

TEST(IdxDatasetTest, TrainingLogsValidationAndTestMetricsPerEpoch) {
  TempDir dir;
  write_set(dir, 40, false);
  const std::string spec = dir.write("tiny.yaml",
                                     "name: tiny\nmodel: {name: mlp, input: [1, 2, 2], sizes: [4, 8, 10]}\n"
                                     "data: {name: idx, root: " + dir.path() +
                                         ", batch_size: 8, validation: 0.25}\n"
                                         "loss: nll\noptimizer: {name: sgd, lr: 0.1}\ntrain: {epochs: 2}\n");
  const auto plan = torchsweep::load_sweep(spec, {});
  torchsweep::MemorySink sink;
  const auto outcome = torchsweep::train_run(plan.runs.at(0).config, sink);
  ASSERT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 2 * 4);  // 30 training samples in batches of 8: 4 per epoch
  EXPECT_EQ(sink.steps("val/loss"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{1, 2}));
  for (double acc : sink.values("val/acc")) {
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
    // 10 validation samples: an accuracy is a multiple of 1/10.
    EXPECT_NEAR(acc * 10, std::round(acc * 10), 1e-9);
  }
}

}  // namespace

namespace {

/// Every training and test batch of an epoch, moved to the CPU.
std::vector<torch::Tensor> epoch_batches(torchsweep::IdxDataset& data, int64_t epoch) {
  data.start_epoch(epoch, 42);
  std::vector<torch::Tensor> out;
  for (int64_t b = 0; b < data.train_batches(); ++b) {
    const auto batch = data.train_batch(b);
    out.push_back(batch.inputs.cpu());
    out.push_back(batch.targets.cpu());
  }
  for (int64_t b = 0; b < data.test_batches(); ++b) out.push_back(data.test_batch(b).inputs.cpu());
  return out;
}

TEST(IdxDatasetTest, OnTheCpuTheSamplesStayInHostMemory) {
  TempDir dir;
  write_set(dir, 11, false);
  torchsweep::IdxDataset data(options_for(dir));
  data.place_on(torch::kCPU);
  EXPECT_EQ(data.placement(), "host");
  EXPECT_FALSE(data.train_batch(0).inputs.is_pinned());
}

TEST(IdxDatasetTest, OnAGpuBatchesComeFromTheDeviceInTheCpuOrder) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  TempDir dir;
  write_set(dir, 11, false);
  torchsweep::IdxDataset host(options_for(dir)), gpu(options_for(dir));
  gpu.place_on(torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(gpu.placement(), "cuda:0") << "44 bytes of images fit any GPU";
  gpu.start_epoch(1, 42);
  EXPECT_TRUE(gpu.train_batch(0).inputs.is_cuda());
  EXPECT_TRUE(gpu.test_batch(0).targets.is_cuda());
  for (const int64_t epoch : {1, 2}) {
    const auto a = epoch_batches(host, epoch), b = epoch_batches(gpu, epoch);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "epoch " << epoch << " tensor " << i;
  }
}

}  // namespace
