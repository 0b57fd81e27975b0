// A table in a CSV file (header row required) as a data set: named feature columns as
// float32 inputs [N, F], a target column as class indices [N] or regression values
// [N, 1]. Parsed with libcsv; every bad file is an InputError naming FILE:LINE.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "data/tensor_dataset.h"

namespace torchsweep {

/// The records of a CSV file: the header's column names and the data rows, each with
/// the line of the file it starts on (a quoted field may span lines).
struct CsvTable {
  std::string path;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;  ///< 1-based line where each row starts
};

/// Reads and checks a CSV file: a header row, at least one data row, every row with
/// the header's number of fields, well-formed quotes, no column named twice.
/// InputError "FILE:LINE: ..." otherwise.
CsvTable read_csv_table(const std::string& path, char delimiter = ',');

struct CsvOptions {
  /// The CSV file (resolved relative to the spec's folder).
  std::string path;
  /// A separate CSV file for the test split, with the same columns; "" for none.
  std::string test_path;
  /// Without `test_path`: this fraction of the rows, evenly spaced through the file, is
  /// the test split (0: no test split). Deterministic, the same for every run.
  double test_fraction = 0.0;
  /// Feature columns in this order; empty: every column but the target, in the file's order.
  std::vector<std::string> features;
  /// The target column.
  std::string target;
  /// "classification" (class indices) or "regression" (float targets [N, 1]).
  std::string task = "classification";
  /// Z-score every feature with the training samples' mean and standard deviation.
  bool standardize = false;
  /// The field separator: one character.
  char delimiter = ',';
  /// Batch sizes, shuffling and the validation split.
  BatchOptions batches{32, 1000, true, 0.0};
};

/// Which spec key a bad file belongs to ("path" or "test_path"), so the spec's error
/// points at the line that names it.
class CsvInputError : public InputError {
 public:
  CsvInputError(std::string key, const std::string& message) : InputError(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

/// Both splits and how the target's values map to classes.
struct CsvSplits {
  TensorSplit train, test;
  /// Column names of the features, in the inputs' order.
  std::vector<std::string> features;
  /// Classification: the target's value for each class index (class i is classes[i]).
  /// Integers 0..K-1 (every one present) are used as they are; otherwise the distinct
  /// values sorted (numerically when all are numbers, else as text) give the indices.
  std::vector<std::string> classes;
  /// Standardisation: each feature's training mean and standard deviation (empty when off).
  std::vector<double> mean, std;
};

/// Reads, checks, splits and (when asked) standardises. Cached per process by the
/// options that change the tensors. CsvInputError for every bad file or column.
CsvSplits load_csv_splits(const CsvOptions& options);

/// The row indices (0-based) of `n` rows that form the test split for `fraction`:
/// round(n × fraction) rows evenly spaced, row i where ⌊(i+1)k/n⌋ > ⌊ik/n⌋.
std::vector<int64_t> csv_test_rows(int64_t n, double fraction);

/// A CSV table in memory (see TensorDataset for batching and placement).
class CsvDataset : public TensorDataset {
 public:
  explicit CsvDataset(const CsvOptions& options);
  const std::vector<std::string>& classes() const { return classes_; }

 private:
  CsvDataset(const CsvOptions& options, CsvSplits splits);
  std::vector<std::string> classes_;
};

CsvOptions csv_options_from_json(const nlohmann::json& options);

/// The `csv` entry: its fields, factory and check (bad files are errors at data.path).
void register_csv_dataset(DatasetRegistry& registry);

}  // namespace torchsweep
