// The csv data set on small files written here: their exact numbers, quoting, the test
// split, standardisation, class mapping, and each way a file can be bad.
#include "data/csv_dataset.h"

#include <cmath>

#include "sweep/sweep.h"
#include "tests/test_helpers.h"
#include "train/trainer.h"

namespace {

using torchsweep::CsvInputError;
using torchsweep::CsvOptions;
using torchsweep::InputError;
using torchsweep::testing::TempDir;

CsvOptions options_for(const std::string& path, const std::string& target) {
  CsvOptions o;
  o.path = path;
  o.target = target;
  o.batches.shuffle = false;
  return o;
}

std::vector<float> floats(const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kFloat32);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<int64_t> longs(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(CsvDatasetTest, LoadsExactlyTheFileNumbersAndMapsClassNamesInSortedOrder) {
  TempDir dir;
  const std::string path = dir.write("t.csv",
                                     "x1,x2,label\n"
                                     "1.5,-2,dog\n"
                                     "0.25,3e2,cat\n"
                                     "\"7\",  4 ,dog\n"
                                     "\n"
                                     "-0.125,1e-3,bird\n");
  const auto splits = torchsweep::load_csv_splits(options_for(path, "label"));
  EXPECT_EQ(splits.features, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(splits.classes, (std::vector<std::string>{"bird", "cat", "dog"}));
  EXPECT_EQ(splits.train.inputs.sizes().vec(), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(splits.train.inputs.dtype(), torch::kFloat32);
  EXPECT_EQ(floats(splits.train.inputs), (std::vector<float>{1.5f, -2.0f, 0.25f, 300.0f, 7.0f, 4.0f, -0.125f, 0.001f}));
  EXPECT_EQ(splits.train.targets.dtype(), torch::kInt64);
  EXPECT_EQ(longs(splits.train.targets), (std::vector<int64_t>{2, 1, 2, 0}));
  EXPECT_FALSE(splits.test.defined());

  // Features named: in the order given, the others left out.
  auto o = options_for(path, "label");
  o.features = {"x2"};
  const auto one = torchsweep::load_csv_splits(o);
  EXPECT_EQ(floats(one.train.inputs), (std::vector<float>{-2.0f, 300.0f, 4.0f, 0.001f}));

  // The data set batches them as they are.
  o.batches.batch_size = 3;
  torchsweep::CsvDataset data(o);
  EXPECT_TRUE(data.classification());
  EXPECT_EQ(data.train_batches(), 2);
  data.start_epoch(1, 0);
  EXPECT_EQ(longs(data.train_batch(1).targets), (std::vector<int64_t>{0}));
}

TEST(CsvDatasetTest, IntegerClassesZeroToKMinusOneAreUsedAsTheyAre) {
  TempDir dir;
  // 0..3, every one present: indices as written (not the text order "0" "1" "10"...).
  const std::string plain = dir.write("plain.csv", "x,y\n1,2\n2,0\n3,3\n4,1\n5,2\n");
  auto a = torchsweep::load_csv_splits(options_for(plain, "y"));
  EXPECT_EQ(longs(a.train.targets), (std::vector<int64_t>{2, 0, 3, 1, 2}));
  EXPECT_EQ(a.classes, (std::vector<std::string>{"0", "1", "2", "3"}));
  // 1..3 is not 0..K-1: sorted values give the indices, numerically (2 before 10).
  const std::string shifted = dir.write("shifted.csv", "x,y\n1,10\n2,2\n3,1\n4,10\n");
  auto b = torchsweep::load_csv_splits(options_for(shifted, "y"));
  EXPECT_EQ(b.classes, (std::vector<std::string>{"1", "2", "10"}));
  EXPECT_EQ(longs(b.train.targets), (std::vector<int64_t>{2, 1, 0, 2}));
  // 0 and 2 without 1: also mapped, so the model needs only 2 outputs.
  const std::string gap = dir.write("gap.csv", "x,y\n1,0\n2,2\n");
  EXPECT_EQ(longs(torchsweep::load_csv_splits(options_for(gap, "y")).train.targets), (std::vector<int64_t>{0, 1}));
}

TEST(CsvDatasetTest, RegressionTargetsAreFloatsOfShapeNByOne) {
  TempDir dir;
  const std::string path = dir.write("r.csv", "y,x\n0.5,1\n-1.25,2\n");
  auto o = options_for(path, "y");
  o.task = "regression";
  const auto splits = torchsweep::load_csv_splits(o);
  EXPECT_EQ(splits.train.targets.sizes().vec(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(floats(splits.train.targets), (std::vector<float>{0.5f, -1.25f}));
  EXPECT_EQ(floats(splits.train.inputs), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_TRUE(splits.classes.empty());
  EXPECT_FALSE(torchsweep::CsvDataset(o).classification());
}

TEST(CsvDatasetTest, AByteOrderMarkIsNotPartOfTheFirstColumnsName) {
  // Excel's "CSV UTF-8" starts the file with EF BB BF.
  TempDir dir;
  const std::string path = dir.write("bom.csv", "\xEF\xBB\xBF\"a\",y\n0.5,1\n1.5,0\n");
  const auto splits = torchsweep::load_csv_splits(options_for(path, "y"));
  EXPECT_EQ(floats(splits.train.inputs), (std::vector<float>{0.5f, 1.5f}));
  auto named = options_for(path, "a");
  named.task = "regression";
  EXPECT_EQ(floats(torchsweep::load_csv_splits(named).train.targets), (std::vector<float>{0.5f, 1.5f}));
}

TEST(CsvDatasetTest, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  TempDir dir;
  const std::string path = dir.write("q.csv",
                                     "\"a, b\",y,note\r\n"
                                     "1,0,\"line one\r\nline two\"\r\n"
                                     "2,1,\"has \"\"quotes\"\", and, commas\"\r\n"
                                     "3,0,plain\r\n");
  const auto table = torchsweep::read_csv_table(path);
  EXPECT_EQ(table.columns, (std::vector<std::string>{"a, b", "y", "note"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0][2], "line one\r\nline two");
  EXPECT_EQ(table.rows[1][2], "has \"quotes\", and, commas");
  EXPECT_EQ(table.lines, (std::vector<int64_t>{2, 4, 5}));
  auto o = options_for(path, "y");
  o.features = {"a, b"};
  EXPECT_EQ(floats(torchsweep::load_csv_splits(o).train.inputs), (std::vector<float>{1, 2, 3}));
  // Another delimiter: a tab, with the comma then plain text.
  const std::string tabs = dir.write("t.tsv", "a\tb,c\n1\t2\n");
  const auto t = torchsweep::read_csv_table(tabs, '\t');
  EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2"}));
  // A bad value after a record spanning two lines names the line its record starts on.
  const std::string bad = dir.write("bad.csv", "a,note\n1,\"two\nlines\"\nx,z\n");
  auto ob = options_for(bad, "note");
  ob.task = "classification";
  ob.features = {"a"};
  ASSERT_THROWS_WITH(torchsweep::load_csv_splits(ob), CsvInputError, bad + ":4: column 'a': expected a finite number, got 'x'");
}

TEST(CsvDatasetTest, TheTestFractionIsEvenlySpacedRowsAndTestPathASecondFile) {
  EXPECT_EQ(torchsweep::csv_test_rows(10, 0.3), (std::vector<int64_t>{3, 6, 9}));
  EXPECT_EQ(torchsweep::csv_test_rows(5, 0.2), (std::vector<int64_t>{4}));
  EXPECT_EQ(torchsweep::csv_test_rows(4, 0.5), (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(torchsweep::csv_test_rows(4, 0.0).empty());
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 10; ++i) text += std::to_string(i) + "," + std::to_string(i % 2) + "\n";
  const std::string path = dir.write("s.csv", text);
  auto o = options_for(path, "y");
  o.test_fraction = 0.3;
  const auto splits = torchsweep::load_csv_splits(o);
  EXPECT_EQ(floats(splits.train.inputs), (std::vector<float>{0, 1, 2, 4, 5, 7, 8}));
  EXPECT_EQ(floats(splits.test.inputs), (std::vector<float>{3, 6, 9}));
  EXPECT_EQ(longs(splits.test.targets), (std::vector<int64_t>{1, 0, 1}));
  torchsweep::CsvDataset data(o);
  EXPECT_EQ(data.train_size(), 7);
  EXPECT_EQ(data.test_batches(), 1);

  // A test file: its columns found by name, in any order; classes mapped over both files.
  const std::string test = dir.write("test.csv", "y,x\n2,100\n");
  auto ot = options_for(path, "y");
  ot.test_path = test;
  const auto both = torchsweep::load_csv_splits(ot);
  EXPECT_EQ(both.train.size(), 10);
  EXPECT_EQ(floats(both.test.inputs), (std::vector<float>{100}));
  EXPECT_EQ(longs(both.test.targets), (std::vector<int64_t>{2}));
  EXPECT_EQ(both.classes, (std::vector<std::string>{"0", "1", "2"}));
}

TEST(CsvDatasetTest, StandardisationUsesTheTrainingRowsMeanAndPopulationStd) {
  TempDir dir;
  // Rows 0..4 train (row 5 is the test row at fraction 1/6); a constant column c.
  const std::string path = dir.write("z.csv", "a,c,y\n1,5,0\n2,5,1\n4,5,0\n8,5,1\n0,5,0\n10,5,1\n");
  auto o = options_for(path, "y");
  o.standardize = true;
  o.test_fraction = 1.0 / 6.0;
  const auto splits = torchsweep::load_csv_splits(o);
  const std::vector<double> a{1, 2, 4, 8, 0};
  double mean = 0;
  for (double v : a) mean += v / 5;  // 3
  double var = 0;
  for (double v : a) var += (v - mean) * (v - mean) / 5;  // (4 + 1 + 1 + 25 + 9) / 5 = 8
  const double sd = std::sqrt(var);
  ASSERT_NEAR(mean, 3.0, 1e-12);
  ASSERT_NEAR(var, 8.0, 1e-12);
  const auto train = floats(splits.train.inputs);
  ASSERT_EQ(train.size(), 10u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(train[2 * i], (a[i] - 3.0) / std::sqrt(8.0), 1e-6) << i;
    EXPECT_EQ(train[2 * i + 1], 0.0f) << "a constant feature is only centred";
  }
  // The test row is scaled with the training statistics.
  EXPECT_NEAR(floats(splits.test.inputs)[0], (10.0 - mean) / sd, 1e-6);
  EXPECT_NEAR(splits.mean[0], 3.0, 1e-12);
  EXPECT_NEAR(splits.std[1], 1.0, 1e-12);

  // With a validation split the statistics leave its rows out: 4 of 5 rows fitted.
  o.batches.validation = 0.2;
  const auto held = torchsweep::load_csv_splits(o);
  EXPECT_NEAR(held.mean[0], (1 + 2 + 4 + 8) / 4.0, 1e-12);
}

TEST(CsvDatasetTest, EachBadFileNamesTheFileAndLine) {
  TempDir dir;
  auto load = [&](const std::string& name, const std::string& text, const std::string& target = "y") {
    return torchsweep::load_csv_splits(options_for(dir.write(name, text), target));
  };
  const std::string missing = dir.file("nope.csv");
  ASSERT_THROWS_WITH(torchsweep::load_csv_splits(options_for(missing, "y")), CsvInputError,
                     missing + ": no such file (expected a CSV file with a header row)");
  ASSERT_THROWS_WITH(load("empty.csv", ""), CsvInputError, dir.file("empty.csv") + ": empty file, expected a header row");
  ASSERT_THROWS_WITH(load("blank.csv", "\n\n"), CsvInputError, dir.file("blank.csv") + ": empty file");
  ASSERT_THROWS_WITH(load("header.csv", "x,y\n"), CsvInputError, dir.file("header.csv") + ":1: a header row and no data rows");
  ASSERT_THROWS_WITH(load("col.csv", "x1,x2,label\n1,2,0\n", "lable"), CsvInputError,
                     dir.file("col.csv") + ":1: no target column 'lable' (did you mean 'label'?); the header "
                                           "has: x1, x2, label");
  ASSERT_THROWS_WITH(load("count.csv", "x,y\n1,0\n2,1\n3,1,4\n"), CsvInputError,
                     dir.file("count.csv") + ":4: 3 fields, expected 2 as in the header (x, y)");
  ASSERT_THROWS_WITH(load("short.csv", "x,z,y\n1,2,0\n3\n"), CsvInputError,
                     dir.file("short.csv") + ":3: 1 field, expected 3");
  ASSERT_THROWS_WITH(load("text.csv", "x,y\n1,0\n\n2.5.1,1\n"), CsvInputError,
                     dir.file("text.csv") + ":4: column 'x': expected a finite number, got '2.5.1'");
  ASSERT_THROWS_WITH(load("hole.csv", "x,y\n,0\n"), CsvInputError,
                     dir.file("hole.csv") + ":2: column 'x': expected a finite number, got an empty field");
  ASSERT_THROWS_WITH(load("nan.csv", "x,y\nnan,0\n"), CsvInputError, dir.file("nan.csv") + ":2: column 'x': expected a finite number, got 'nan'");
  ASSERT_THROWS_WITH(load("quote.csv", "x,y\n1,0\n\"2\"3,1\n"), CsvInputError,
                     dir.file("quote.csv") + ":3: misplaced quote at character 4");
  ASSERT_THROWS_WITH(load("open.csv", "x,y\n1,0\n2,\"1\n3,0\n"), CsvInputError,
                     dir.file("open.csv") + ":3: a quoted field in the record starting on this line is never closed");
  ASSERT_THROWS_WITH(load("twice.csv", "x,y,x\n1,0,2\n"), CsvInputError,
                     dir.file("twice.csv") + ":1: column 'x' is named twice (columns 1 and 3)");
  auto o = options_for(dir.write("ok.csv", "x,price\n1,0\n"), "price");
  o.features = {"x", "price"};
  ASSERT_THROWS_WITH(torchsweep::load_csv_splits(o), CsvInputError,
                     "column 'price' is the target and cannot also be a feature");
  // A bad test file is the test_path's error.
  o.features = {};
  o.test_path = dir.write("bad-test.csv", "x,cost\n1,0\n");
  try {
    torchsweep::load_csv_splits(o);
    FAIL() << "expected an error";
  } catch (const CsvInputError& e) {
    EXPECT_EQ(e.key(), "test_path");
    EXPECT_EQ(std::string(e.what()), o.test_path + ":1: no target column 'price'; the header has: x, cost");
  }
}

TEST(CsvDatasetTest, ASpecWithABadColumnIsAnErrorAtDataPath) {
  TempDir dir;
  dir.write("t.csv", "a,b,kind\n1,2,0\n");
  const std::string spec = dir.write("s.yaml",
                                     "name: s\nmodel: {name: mlp, input: [2], sizes: [2, 2]}\n"
                                     "data:\n  name: csv\n  path: t.csv\n  target: knid\n"
                                     "loss: nll\noptimizer: {name: sgd, lr: 0.1}\ntrain: {epochs: 1}\n");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":5:9: data.path: " + dir.file("t.csv") +
                         ":1: no target column 'knid' (did you mean 'kind'?); the header has: a, b, kind");
}

TEST(CsvDatasetTest, OptionsOfTheWrongShapeAreErrorsAtTheirOwnKeys) {
  TempDir dir;
  dir.write("t.csv", "a,b,kind\n1,2,0\n");
  auto spec_with = [&](const std::string& extra) {
    return dir.write("s.yaml", "name: s\nmodel: {name: mlp, input: [2], sizes: [2, 2]}\n"
                               "data:\n  name: csv\n  path: t.csv\n  target: kind\n" + extra +
                                   "loss: nll\noptimizer: {name: sgd, lr: 0.1}\ntrain: {epochs: 1}\n");
  };
  std::string spec = spec_with("  features: [a, 3]\n");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":7:13: data.features: expected a non-empty list of column names");
  spec = spec_with("  delimiter: ';;'\n");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":7:14: data.delimiter: expected one character other than a quote or a line break, got ';;'");
  spec = spec_with("  test_path: t.csv\n  test_fraction: 0.5\n");
  ASSERT_THROWS_WITH(torchsweep::load_sweep(spec, {}), torchsweep::SpecError,
                     spec + ":8:18: data.test_fraction: give test_path or test_fraction, not both");
  // A tab, written "\t" in YAML, separates the fields of a .tsv file.
  dir.write("t.tsv", "a\tb\tkind\n1\t2\t0\n");
  spec = dir.write("tab.yaml", "name: s\nmodel: {name: mlp, input: [2], sizes: [2, 2]}\n"
                               "data: {name: csv, path: t.tsv, target: kind, delimiter: \"\\t\"}\n"
                               "loss: nll\noptimizer: {name: sgd, lr: 0.1}\ntrain: {epochs: 1}\n");
  EXPECT_EQ(torchsweep::load_sweep(spec, {}).runs.at(0).config.at("data").at("delimiter"), "\t");
}

TEST(CsvDatasetTest, AClassificationTableTrainsAnMlpWithNll) {
  TempDir dir;
  // Two classes split by the sign of x1 + x2; the class written as a name.
  std::string text = "x1,x2,side\n";
  for (int i = 0; i < 40; ++i) {
    const double x1 = std::sin(i * 1.7), x2 = std::cos(i * 0.9);
    text += std::to_string(x1) + "," + std::to_string(x2) + "," + (x1 + x2 > 0 ? "above" : "below") + "\n";
  }
  dir.write("c.csv", text);
  const std::string spec = dir.write("c.yaml",
                                     "name: c\nseed: 3\nmodel: {name: mlp, input: [2], sizes: [2, 16, 2]}\n"
                                     "data: {name: csv, path: c.csv, target: side, batch_size: 8, test_fraction: 0.25}\n"
                                     "loss: nll\noptimizer: {name: sgd, lr: 0.5}\ntrain: {epochs: 20}\n");
  const auto plan = torchsweep::load_sweep(spec, {});
  EXPECT_EQ(plan.runs.at(0).config.at("data").at("path"), dir.file("c.csv")) << "resolved from the spec's folder";
  torchsweep::MemorySink sink;
  const auto outcome = torchsweep::train_run(plan.runs.at(0).config, sink);
  ASSERT_EQ(outcome.status, torchsweep::RunStatus::Finished) << outcome.error;
  EXPECT_EQ(outcome.steps, 20 * 4);  // 30 training rows in batches of 8
  const auto loss = sink.values("train/loss");
  ASSERT_EQ(loss.size(), 80u);
  EXPECT_LT(loss.back(), loss.front());
  EXPECT_EQ(sink.steps("test/acc").size(), 20u);
  EXPECT_GE(sink.values("test/acc").back(), 0.8);
}

}  // namespace
