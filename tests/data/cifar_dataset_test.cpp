// CIFAR-10 and CIFAR-100 on files written here in the binary format their site
// distributes, with known pixels and labels, and each way such files break.
#include "data/cifar_dataset.h"

#include <fstream>
#include <iterator>

#include "base/error.h"
#include "sweep/sweep.h"
#include "tests/data/cifar_files.h"
#include "tests/test_helpers.h"
#include "train/trainer.h"

namespace {

using torchsweep::CifarKind;
using torchsweep::InputError;
using torchsweep::testing::cifar_pixel;
using torchsweep::testing::TempDir;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

torchsweep::CifarOptions options_for(CifarKind kind, const std::string& root) {
  auto o = torchsweep::cifar_defaults(kind);
  o.root = root;
  return o;
}

/// Undoes the normalisation and the scaling: the byte each value was made from.
torch::Tensor to_bytes(const torch::Tensor& images, const std::vector<double>& mean, const std::vector<double>& std) {
  auto out = images.to(torch::kFloat64).clone();
  for (int64_t c = 0; c < 3; ++c) out.select(1, c).mul_(std[c]).add_(mean[c]);
  return out.mul_(255.0).round_();
}

/// Checks every pixel of `images` against the bytes `first`.. of the files: record r of
/// the split is `file`'s record r - start, its pixel (c, y, x) at byte
/// label_bytes + 1024 c + 32 y + x, as the CIFAR page describes; and against the formula.
void expect_records(const torch::Tensor& images, const std::vector<std::string>& files, int64_t per_file,
                    int64_t label_bytes, const std::vector<double>& mean, const std::vector<double>& std) {
  const auto bytes = to_bytes(images, mean, std);
  const auto normalised = images.accessor<float, 4>();
  const auto recovered = bytes.accessor<double, 4>();
  const int64_t record = label_bytes + 3072;
  for (int64_t r = 0; r < images.size(0); ++r) {
    const std::string data = file_bytes(files.at(static_cast<size_t>(r / per_file)));
    const int64_t base = (r % per_file) * record + label_bytes;
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 32; ++y)
        for (int64_t x = 0; x < 32; ++x) {
          const auto in_file = static_cast<uint8_t>(data.at(static_cast<size_t>(base + 1024 * c + 32 * y + x)));
          ASSERT_EQ(in_file, cifar_pixel(r, c, y, x)) << "the test's own file, record " << r;
          ASSERT_EQ(recovered[r][c][y][x], in_file) << "record " << r << " channel " << c << " at " << y << "," << x;
          // ToTensor() then Normalize(): (byte / 255 - mean) / std.
          ASSERT_NEAR(normalised[r][c][y][x], (in_file / 255.0 - mean[c]) / std[c], 1e-5);
        }
  }
}

TEST(CifarDatasetTest, Cifar10LoadsTheFilesPixelsAndLabelsExactly) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar10(dir.path(), 3, 4);
  const auto o = options_for(CifarKind::Cifar10, folder);
  const auto [train, test] = torchsweep::load_cifar_splits(o);
  ASSERT_EQ(train.inputs.sizes(), (std::vector<int64_t>{15, 3, 32, 32}));
  ASSERT_EQ(test.inputs.sizes(), (std::vector<int64_t>{4, 3, 32, 32}));
  EXPECT_EQ(train.inputs.dtype(), torch::kFloat32);
  EXPECT_EQ(train.targets.dtype(), torch::kInt64);
  std::vector<std::string> batches;
  for (int b = 1; b <= 5; ++b) batches.push_back(folder + "/data_batch_" + std::to_string(b) + ".bin");
  expect_records(train.inputs, batches, 3, 1, o.mean, o.std);
  expect_records(test.inputs, {folder + "/test_batch.bin"}, 4, 1, o.mean, o.std);
  for (int64_t r = 0; r < 15; ++r) EXPECT_EQ(train.targets[r].item<int64_t>(), r % 10) << r;
  for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(test.targets[r].item<int64_t>(), r % 10) << r;

  // The layout spelled out on one pixel: record 4 is data_batch_2.bin's record 1; its
  // green plane's row 2, column 5 is the file's byte 3073 + 1 + 1024 + 2 * 32 + 5.
  const auto byte = static_cast<uint8_t>(file_bytes(batches[1]).at(3073 + 1 + 1024 + 64 + 5));
  EXPECT_EQ(byte, (13 * 4 + 85 + 22 + 15) % 256);
  EXPECT_NEAR(train.inputs[4][1][2][5].item<float>(), (byte / 255.0 - 0.4822) / 0.2435, 1e-5);
}

TEST(CifarDatasetTest, Cifar100ReadsTheFineOrTheCoarseLabel) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar100(dir.path(), 120, 7);
  auto o = options_for(CifarKind::Cifar100, folder);
  const auto [train, test] = torchsweep::load_cifar_splits(o);
  ASSERT_EQ(train.inputs.sizes(), (std::vector<int64_t>{120, 3, 32, 32}));
  expect_records(train.inputs, {folder + "/train.bin"}, 120, 2, o.mean, o.std);
  expect_records(test.inputs, {folder + "/test.bin"}, 7, 2, o.mean, o.std);
  // Each record's second byte: (7 r + 1) mod 100, all 100 classes among 120 records.
  for (int64_t r = 0; r < 120; ++r) EXPECT_EQ(train.targets[r].item<int64_t>(), (7 * r + 1) % 100) << r;
  EXPECT_EQ(std::get<0>(at::_unique(train.targets)).numel(), 100);
  o.coarse = true;
  const auto coarse = torchsweep::load_cifar_splits(o);
  for (int64_t r = 0; r < 120; ++r) EXPECT_EQ(coarse.first.targets[r].item<int64_t>(), (3 * r) % 20) << r;
  for (int64_t r = 0; r < 7; ++r) EXPECT_EQ(coarse.second.targets[r].item<int64_t>(), (3 * r) % 20) << r;
  EXPECT_TRUE(torch::equal(coarse.first.inputs, train.inputs));
}

TEST(CifarDatasetTest, TheRootMayBeTheArchivesFolderOrItsParentAndLimitsTakeTheFirstRecords) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar10(dir.path(), 3, 4);
  auto o = options_for(CifarKind::Cifar10, dir.path());
  o.train_limit = 7;  // two whole batches and one record of the third
  o.test_limit = 2;
  const auto [train, test] = torchsweep::load_cifar_splits(o);
  ASSERT_EQ(train.size(), 7);
  ASSERT_EQ(test.size(), 2);
  const auto all = torchsweep::load_cifar_splits(options_for(CifarKind::Cifar10, folder));
  EXPECT_TRUE(torch::equal(train.inputs, all.first.inputs.narrow(0, 0, 7)));
  EXPECT_TRUE(torch::equal(train.targets, all.first.targets.narrow(0, 0, 7)));
  EXPECT_EQ(torchsweep::find_cifar_files(CifarKind::Cifar10, dir.path()).train.at(2), folder + "/data_batch_3.bin");
}

TEST(CifarDatasetTest, OwnMeanAndStdPerChannel) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar10(dir.path(), 1, 1);
  auto o = options_for(CifarKind::Cifar10, folder);
  o.mean = {0.5, 0.25, 0.0};
  o.std = {0.5, 2.0, 1.0};
  const auto images = torchsweep::load_cifar_splits(o).first.inputs;
  for (int64_t c = 0; c < 3; ++c)
    EXPECT_NEAR(images[2][c][3][4].item<float>(), (cifar_pixel(2, c, 3, 4) / 255.0 - o.mean[c]) / o.std[c], 1e-6);
}

TEST(CifarDatasetTest, EachBadFileIsAClearError) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar10(dir.path(), 2, 2);
  const auto o = options_for(CifarKind::Cifar10, folder);
  torchsweep::remove_all(folder + "/data_batch_4.bin");
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     folder + ": expected the CIFAR-10 binary files data_batch_1.bin, data_batch_2.bin, "
                              "data_batch_3.bin, data_batch_4.bin, data_batch_5.bin and test_batch.bin (the binary "
                              "version's archive unpacks them into cifar-10-batches-bin/), missing data_batch_4.bin");

  // Cut 100 bytes into its second record: 2 x 3073 - 2973 = 3173 bytes.
  const std::string cut = folder + "/data_batch_4.bin";
  torchsweep::testing::write_bytes(cut, torchsweep::testing::cifar_records(0, 2, false).substr(0, 3173));
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     cut + ": 3173 bytes, not a whole number of 3073-byte records (1 label byte + 3072 pixel bytes): "
                           "the record at offset 3073 is cut after 100 bytes");
  torchsweep::testing::write_bytes(cut, "");
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError, cut + ": empty file");

  // Record 1's label byte (offset 3073) says 10.
  std::string records = torchsweep::testing::cifar_records(0, 2, false);
  records[3073] = 10;
  torchsweep::testing::write_bytes(cut, records);
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     cut + ": record 1 (byte offset 3073): label 10 is out of range, expected 0 to 9");
}

TEST(CifarDatasetTest, Cifar100LabelsOutOfRangeForTheirKind) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar100(dir.path(), 3, 3);
  std::string records = torchsweep::testing::cifar_records(0, 3, true);
  records[2 * 3074] = 20;      // record 2's coarse label
  records[2 * 3074 + 1] = 99;  // its fine label: the last class, in range
  torchsweep::testing::write_bytes(folder + "/test.bin", records);
  auto o = options_for(CifarKind::Cifar100, folder);
  EXPECT_EQ(torchsweep::load_cifar_splits(o).second.targets[2].item<int64_t>(), 99);
  o.coarse = true;
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     folder + "/test.bin: record 2 (byte offset 6148): coarse label 20 is out of range, expected 0 to 19");
  records[1] = 100;  // record 0's fine label
  torchsweep::testing::write_bytes(folder + "/train.bin", records);
  o.coarse = false;
  o.train_limit = 1;  // a different cache entry: the files are read again
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     folder + "/train.bin: record 0 (byte offset 1): fine label 100 is out of range, expected 0 to 99");
  // A 3073-byte record is not a CIFAR-100 record.
  torchsweep::testing::write_bytes(folder + "/train.bin", torchsweep::testing::cifar_records(0, 2, false));
  o.train_limit = 2;
  ASSERT_THROWS_WITH(torchsweep::load_cifar_splits(o), InputError,
                     folder + "/train.bin: 6146 bytes, not a whole number of 3074-byte records (2 label bytes + "
                              "3072 pixel bytes): the record at offset 3074 is cut after 3072 bytes");
}

// ---- through the spec ----

const std::string kTail = "loss: nll\noptimizer: {name: sgd, lr: 0.05}\ntrain: {epochs: 2}\n";

TEST(CifarDatasetTest, TheSpecRecordsTheDefaultsOfEachKind) {
  TempDir dir;
  torchsweep::testing::write_cifar10(dir.path(), 2, 2);
  torchsweep::testing::write_cifar100(dir.path(), 2, 2);
  const std::string model = "model: {name: mlp, input: [3, 32, 32], sizes: [3072, 10]}\n";
  // A root in a spec file is relative to its folder; the parent of the archive's folder is accepted.
  auto plan = torchsweep::load_sweep(dir.write("c10.yaml", "name: c10\n" + model + "data: {name: cifar10, root: .}\n" + kTail), {});
  auto data = plan.runs.at(0).config.at("data");
  EXPECT_EQ(data.at("root"), dir.path());
  EXPECT_EQ(data.at("mean"), (std::vector<double>{0.4914, 0.4822, 0.4465}));
  EXPECT_EQ(data.at("std"), (std::vector<double>{0.2470, 0.2435, 0.2616}));
  EXPECT_EQ(data.at("crop_padding"), 0);
  EXPECT_EQ(data.at("flip"), false);
  plan = torchsweep::load_sweep(dir.write("c100.yaml", "name: c100\n" + model + "data: {name: cifar100, root: ., labels: coarse}\n" + kTail), {});
  data = plan.runs.at(0).config.at("data");
  EXPECT_EQ(data.at("mean"), (std::vector<double>{0.5071, 0.4865, 0.4409}));
  EXPECT_EQ(data.at("std"), (std::vector<double>{0.2673, 0.2564, 0.2762}));
  EXPECT_EQ(data.at("labels"), "coarse");
}

TEST(CifarDatasetTest, WithoutARootTheWorkingDirectorysDataFolderIsRecordedOrNamed) {
  TempDir dir;
  const std::string spec = dir.write("c.yaml", "name: c\nmodel: {name: mlp, input: [3, 32, 32], sizes: [3072, 10]}\n"
                                               "data: {name: cifar10}\n" + kTail);
  if (torchsweep::path_exists("data/cifar-10-batches-bin")) GTEST_SKIP() << "the working directory has CIFAR-10";
  // The default is resolved against the working directory, not the spec's folder.
  const std::string expected = torchsweep::absolute_path("data/cifar-10-batches-bin");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":3:7: data.root: " + expected + ": expected the CIFAR-10 binary files");
}

TEST(CifarDatasetTest, ABadFileIsASpecErrorAtTheRoot) {
  TempDir dir;
  const std::string folder = torchsweep::testing::write_cifar10(dir.path(), 2, 2);
  torchsweep::testing::write_bytes(folder + "/test_batch.bin", std::string(5000, '\1'));
  const std::string spec = dir.write("c.yaml", "name: c\nmodel: {name: mlp, input: [3, 32, 32], sizes: [3072, 10]}\n"
                                               "data:\n  name: cifar10\n  root: cifar-10-batches-bin\n" + kTail);
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":5:9: data.root: " + folder + "/test_batch.bin: 5000 bytes, not a whole number of 3073-byte records");
}

TEST(CifarDatasetTest, TrainsWithCropAndFlipAndLogsEveryStep) {
  TempDir dir;
  torchsweep::testing::write_cifar10(dir.path(), 8, 10);
  const std::string spec = dir.write(
      "c.yaml", "name: c\nmodel: {name: mlp, input: [3, 32, 32], sizes: [3072, 16, 10]}\n"
                "data: {name: cifar10, root: ., batch_size: 10, crop_padding: 4, flip: true, validation: 0.2}\n" + kTail);
  const auto plan = torchsweep::load_sweep(spec, {});
  torchsweep::MemorySink sink;
  const auto outcome = torchsweep::train_run(plan.runs.at(0).config, sink);
  ASSERT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 2 * 4);  // 32 training samples in batches of 10: 4 per epoch
  EXPECT_EQ(sink.values("train/loss").size(), 8u);
  for (double loss : sink.values("train/loss")) EXPECT_TRUE(std::isfinite(loss));
  EXPECT_EQ(sink.steps("val/acc"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(sink.steps("test/acc"), (std::vector<int64_t>{1, 2}));
}

}  // namespace
