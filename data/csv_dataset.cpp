#include "data/csv_dataset.h"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "base/paths.h"
#include "base/spec_node.h"

namespace torchsweep {

namespace {

/// libcsv's callbacks fill this: fields of the record being read, finished records,
/// and the line each record started on.
struct CsvReader {
  CsvTable* table;
  std::vector<std::string> fields;
  int64_t line = 0;          ///< the line being fed to the parser
  int64_t record_start = 0;  ///< the line the record being read started on; 0 between records
  bool have_header = false;
};

void on_field(void* text, size_t length, void* data) {
  auto* r = static_cast<CsvReader*>(data);
  r->fields.emplace_back(text ? static_cast<const char*>(text) : "", text ? length : 0);
}

void on_record(int terminator, void* data) {
  (void)terminator;
  auto* r = static_cast<CsvReader*>(data);
  if (!r->have_header) {
    r->table->columns = std::move(r->fields);
    r->have_header = true;
  } else {
    r->table->rows.push_back(std::move(r->fields));
    r->table->lines.push_back(r->record_start);
  }
  r->fields.clear();
  r->record_start = 0;
}

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

std::string where(const std::string& path, int64_t line) { return path + ":" + std::to_string(line) + ": "; }

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

/// A field shown in a message: quoted, cut after 40 characters, line breaks escaped.
std::string shown(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
  return "'" + out + (text.size() > 40 ? "...'" : "'");
}

}  // namespace

CsvTable read_csv_table(const std::string& path, char delimiter) {
  if (!is_regular_file(path)) throw InputError(path + ": no such file (expected a CSV file with a header row)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the CSV file");
  CsvTable table;
  table.path = path;
  CsvReader reader{&table, {}, 0, 0, false};
  csv_parser parser;
  // Strict: a quote inside an unquoted field, or text after a closing quote, is an
  // error rather than a guess; STRICT_FINI: a quote still open at the end is one too.
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw RuntimeFailure("libcsv: cannot initialise a parser");
  csv_set_delim(&parser, static_cast<unsigned char>(delimiter));
  // Fed a line at a time, so that a parse error is on the line just fed and each record
  // starts on the first non-blank line after the one before ended (records end only at
  // a line's end; libcsv skips blank lines).
  std::string line;
  try {
    while (std::getline(in, line)) {
      ++reader.line;
      // A UTF-8 byte-order mark (Excel's "CSV UTF-8") is not part of the first column's name.
      if (reader.line == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      if (!in.eof()) line += '\n';
      if (reader.record_start == 0 && !blank(line)) reader.record_start = reader.line;
      const size_t parsed = csv_parse(&parser, line.data(), line.size(), on_field, on_record, &reader);
      if (parsed != line.size()) {
        const int code = csv_error(&parser);
        if (code == CSV_EPARSE)
          throw InputError(where(path, reader.line) + "misplaced quote at character " + std::to_string(parsed + 1) +
                           " (a quote opens a field, and closes it just before a delimiter or the line's end; "
                           "inside a quoted field write it as \"\")");
        throw InputError(where(path, reader.line) + std::string("cannot parse: ") + csv_strerror(code));
      }
    }
    if (in.bad()) throw InputError(path + ": read error");
    if (csv_fini(&parser, on_field, on_record, &reader) != 0)
      throw InputError(where(path, reader.record_start ? reader.record_start : reader.line) +
                       "a quoted field in the record starting on this line is never closed (missing '\"')");
  } catch (...) {
    csv_free(&parser);
    throw;
  }
  csv_free(&parser);

  if (!reader.have_header) throw InputError(path + ": empty file, expected a header row naming the columns");
  std::map<std::string, size_t> seen;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    table.columns[c] = trimmed(table.columns[c]);
    if (table.columns[c].empty()) continue;
    auto [it, fresh] = seen.emplace(table.columns[c], c);
    if (!fresh)
      throw InputError(where(path, 1) + "column '" + table.columns[c] + "' is named twice (columns " +
                       std::to_string(it->second + 1) + " and " + std::to_string(c + 1) + ")");
  }
  if (table.rows.empty()) throw InputError(where(path, 1) + "a header row and no data rows");
  for (size_t r = 0; r < table.rows.size(); ++r)
    if (table.rows[r].size() != table.columns.size())
      throw InputError(where(path, table.lines[r]) + std::to_string(table.rows[r].size()) + " field" +
                       (table.rows[r].size() == 1 ? "" : "s") + ", expected " + std::to_string(table.columns.size()) +
                       " as in the header (" + join(table.columns) + ")");
  return table;
}

std::vector<int64_t> csv_test_rows(int64_t n, double fraction) {
  const auto k = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < n && k > 0; ++i)
    if ((i + 1) * k / n > i * k / n) rows.push_back(i);
  return rows;
}

namespace {

/// The column's index, or CsvInputError naming the column, the header's columns and the
/// closest name.
size_t column_index(const CsvTable& table, const std::string& name, const std::string& key, const std::string& role) {
  for (size_t c = 0; c < table.columns.size(); ++c)
    if (table.columns[c] == name) return c;
  std::string message = where(table.path, 1) + "no " + role + " column '" + name + "'";
  const std::string close = closest_match(name, table.columns);
  if (!close.empty()) message += " (did you mean '" + close + "'?)";
  throw CsvInputError(key, message + "; the header has: " + join(table.columns));
}

bool parse_number(const std::string& text, double& value) {
  const std::string t = trimmed(text);
  if (t.empty()) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(value);
}

double number_at(const CsvTable& table, size_t row, size_t column, const std::string& key) {
  double value = 0;
  const std::string& text = table.rows[row][column];
  if (!parse_number(text, value))
    throw CsvInputError(key, where(table.path, table.lines[row]) + "column '" + table.columns[column] +
                                 "': expected a finite number, got " +
                                 (trimmed(text).empty() ? std::string("an empty field") : shown(text)));
  return value;
}

/// A table's chosen columns: features [N, F] and the target's text, row by row.
struct Columns {
  std::vector<double> features;  ///< row-major
  std::vector<std::string> targets;
  std::vector<double> numeric_targets;  ///< regression
  int64_t rows = 0;
};

Columns columns_of(const CsvTable& table, const std::vector<std::string>& features, const std::string& target,
                   bool regression, const std::string& key) {
  std::vector<size_t> indices;
  for (const auto& name : features) indices.push_back(column_index(table, name, key, "feature"));
  const size_t target_index = column_index(table, target, key, "target");
  Columns out;
  out.rows = static_cast<int64_t>(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    for (size_t c : indices) out.features.push_back(number_at(table, r, c, key));
    if (regression) {
      out.numeric_targets.push_back(number_at(table, r, target_index, key));
    } else {
      const std::string value = trimmed(table.rows[r][target_index]);
      if (value.empty())
        throw CsvInputError(key, where(table.path, table.lines[r]) + "column '" + target +
                                     "': expected a class, got an empty field");
      out.targets.push_back(value);
    }
  }
  return out;
}

/// Whether `text` is a non-negative integer written plainly ("0", "12"; not "01", "+1", "1.0").
bool plain_index(const std::string& text, int64_t& value) {
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  if (text.size() > 1 && text[0] == '0') return false;
  value = std::stoll(text);
  return true;
}

/// See CsvSplits::classes.
std::vector<std::string> class_names(const std::set<std::string>& values) {
  std::vector<std::string> names(values.begin(), values.end());
  bool indices = true;
  int64_t index = 0;
  std::set<int64_t> seen;
  for (const auto& v : names) {
    if (!plain_index(v, index) || index >= static_cast<int64_t>(names.size())) indices = false;
    else seen.insert(index);
  }
  if (indices && seen.size() == names.size()) {
    for (int64_t i = 0; i < static_cast<int64_t>(names.size()); ++i) names[static_cast<size_t>(i)] = std::to_string(i);
    return names;
  }
  bool numbers = true;
  double x = 0;
  for (const auto& v : names) numbers = numbers && parse_number(v, x);
  if (numbers)
    std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
    });
  return names;
}

TensorSplit tensors_of(const Columns& columns, int64_t features, const std::vector<int64_t>& rows, bool regression,
                       const std::map<std::string, int64_t>& class_of, const std::vector<double>& mean,
                       const std::vector<double>& std) {
  const auto n = static_cast<int64_t>(rows.size());
  std::vector<float> inputs;
  inputs.reserve(static_cast<size_t>(n * features));
  std::vector<float> values;
  std::vector<int64_t> labels;
  for (int64_t r : rows) {
    for (int64_t f = 0; f < features; ++f) {
      double x = columns.features[static_cast<size_t>(r * features + f)];
      if (!mean.empty()) x = (x - mean[static_cast<size_t>(f)]) / std[static_cast<size_t>(f)];
      inputs.push_back(static_cast<float>(x));
    }
    if (regression) values.push_back(static_cast<float>(columns.numeric_targets[static_cast<size_t>(r)]));
    else labels.push_back(class_of.at(columns.targets[static_cast<size_t>(r)]));
  }
  TensorSplit split;
  split.inputs = torch::tensor(inputs, torch::kFloat32).reshape({n, features});
  split.targets = regression ? torch::tensor(values, torch::kFloat32).reshape({n, 1}) : torch::tensor(labels, torch::kInt64);
  return split;
}

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
  return rows;
}

/// Reads a file, its errors marked as belonging to `key`.
CsvTable read_for(const std::string& path, char delimiter, const std::string& key) {
  try {
    return read_csv_table(path, delimiter);
  } catch (const CsvInputError&) {
    throw;
  } catch (const InputError& e) {
    throw CsvInputError(key, e.what());
  }
}

CsvSplits load_uncached(const CsvOptions& o) {
  const bool regression = o.task == "regression";
  const CsvTable train_table = read_for(o.path, o.delimiter, "path");
  CsvSplits out;
  out.features = o.features;
  column_index(train_table, o.target, "path", "target");
  if (out.features.empty()) {
    // Every named column but the target; an unnamed one is an index (pandas' to_csv writes one).
    for (const auto& name : train_table.columns)
      if (!name.empty() && name != o.target) out.features.push_back(name);
    if (out.features.empty())
      throw CsvInputError("path", where(o.path, 1) + "no feature columns: the header has only the target '" + o.target + "'");
  } else {
    std::set<std::string> named;
    for (const auto& name : out.features) {
      if (name == o.target)
        throw CsvInputError("features", "column '" + name + "' is the target and cannot also be a feature");
      if (!named.insert(name).second) throw CsvInputError("features", "column '" + name + "' is listed twice");
    }
  }
  const Columns train = columns_of(train_table, out.features, o.target, regression, "path");
  Columns test;
  std::vector<int64_t> train_rows = all_rows(train.rows), test_rows;
  const Columns* test_source = &train;
  if (!o.test_path.empty()) {
    test = columns_of(read_for(o.test_path, o.delimiter, "test_path"), out.features, o.target, regression, "test_path");
    test_rows = all_rows(test.rows);
    test_source = &test;
  } else if (o.test_fraction > 0) {
    test_rows = csv_test_rows(train.rows, o.test_fraction);
    std::vector<bool> is_test(static_cast<size_t>(train.rows), false);
    for (int64_t r : test_rows) is_test[static_cast<size_t>(r)] = true;
    train_rows.clear();
    for (int64_t r = 0; r < train.rows; ++r)
      if (!is_test[static_cast<size_t>(r)]) train_rows.push_back(r);
    if (train_rows.empty())
      throw CsvInputError("path", o.path + ": test_fraction " + std::to_string(o.test_fraction) + " of " +
                                      std::to_string(train.rows) + " rows leaves no training rows");
  }

  std::map<std::string, int64_t> class_of;
  if (!regression) {
    std::set<std::string> values(train.targets.begin(), train.targets.end());
    values.insert(test.targets.begin(), test.targets.end());
    out.classes = class_names(values);
    for (size_t i = 0; i < out.classes.size(); ++i) class_of[out.classes[i]] = static_cast<int64_t>(i);
  }

  const auto f = static_cast<int64_t>(out.features.size());
  if (o.standardize) {
    // The statistics of the samples the model trains on: the training rows less the
    // validation rows TensorDataset will hold out (its last ones), so nothing held out
    // leaks into the scaling. Population standard deviation, as scikit-learn's
    // StandardScaler; a constant feature is only centred.
    auto fitted = static_cast<int64_t>(train_rows.size());
    const auto held_out = static_cast<int64_t>(std::llround(o.batches.validation * static_cast<double>(fitted)));
    if (held_out > 0 && held_out < fitted) fitted -= held_out;
    out.mean.assign(static_cast<size_t>(f), 0.0);
    out.std.assign(static_cast<size_t>(f), 0.0);
    for (int64_t j = 0; j < f; ++j) {
      double sum = 0;
      for (int64_t i = 0; i < fitted; ++i) sum += train.features[static_cast<size_t>(train_rows[static_cast<size_t>(i)] * f + j)];
      const double mean = sum / static_cast<double>(fitted);
      double squares = 0;
      for (int64_t i = 0; i < fitted; ++i) {
        const double d = train.features[static_cast<size_t>(train_rows[static_cast<size_t>(i)] * f + j)] - mean;
        squares += d * d;
      }
      const double sd = std::sqrt(squares / static_cast<double>(fitted));
      out.mean[static_cast<size_t>(j)] = mean;
      out.std[static_cast<size_t>(j)] = sd > 0 ? sd : 1.0;
    }
  }
  out.train = tensors_of(train, f, train_rows, regression, class_of, out.mean, out.std);
  if (!test_rows.empty()) out.test = tensors_of(*test_source, f, test_rows, regression, class_of, out.mean, out.std);
  return out;
}

}  // namespace

CsvSplits load_csv_splits(const CsvOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, CsvSplits> cache;
  // Fractions in full (%.17g): 0.1 and 0.1000001 split differently.
  std::string key = o.path + '\x1f' + o.test_path + '\x1f' + fmt::format("{:.17g}", o.test_fraction) + '\x1f' +
                    o.target + '\x1f' + o.task + '\x1f' + (o.standardize ? "1" : "0") + '\x1f' + o.delimiter +
                    '\x1f' + fmt::format("{:.17g}", o.batches.validation);
  for (const auto& name : o.features) key += '\x1f' + name;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  CsvSplits splits = load_uncached(o);
  cache.emplace(key, splits);
  return splits;
}

CsvDataset::CsvDataset(const CsvOptions& options) : CsvDataset(options, load_csv_splits(options)) {}

CsvDataset::CsvDataset(const CsvOptions& options, CsvSplits splits)
    : TensorDataset(std::move(splits.train), std::move(splits.test), options.batches,
                    /*classification=*/options.task == "classification"),
      classes_(std::move(splits.classes)) {}

CsvOptions csv_options_from_json(const nlohmann::json& j) {
  CsvOptions o;
  o.path = j.at("path").get<std::string>();
  if (j.contains("test_path") && j.at("test_path").is_string()) o.test_path = j.at("test_path").get<std::string>();
  o.test_fraction = j.at("test_fraction").get<double>();
  if (j.contains("features") && j.at("features").is_array())
    for (const auto& name : j.at("features"))
      if (name.is_string()) o.features.push_back(name.get<std::string>());
  o.target = j.at("target").get<std::string>();
  o.task = j.at("task").get<std::string>();
  o.standardize = j.at("standardize").get<bool>();
  const std::string delimiter = j.at("delimiter").get<std::string>();
  o.delimiter = delimiter.size() == 1 ? delimiter[0] : ',';
  o.batches = batch_options_from_json(j);
  return o;
}

void register_csv_dataset(DatasetRegistry& registry) {
  const CsvOptions d;
  std::vector<Field> fields{
      Field::path("path", "the CSV file, header row first"),
      Field::number("test_fraction", d.test_fraction,
                    "without test_path: this fraction of the rows, evenly spaced, is the test split")
          .at_least(0)
          .at_most(0.9),
      Field::any("features", nullptr, "feature column names (default: every named column but the target)"),
      Field::string("target", "", "the target column's name").not_empty().single_line().make_required(),
      Field::choice("task", d.task, {"classification", "regression"},
                    "classification: class indices (loss nll); regression: float targets [N, 1] (loss mse)"),
      Field::boolean("standardize", d.standardize, "z-score features with the training rows' mean and std"),
      Field::string("delimiter", std::string(1, d.delimiter), "the field separator, one character")};
  fields.insert(fields.begin() + 1,
                Field::path("test_path", "a CSV file with the same columns for the test split").optional());
  for (auto& field : batch_fields(d.batches)) fields.push_back(std::move(field));

  DatasetRegistry::Entry csv{
      "csv", "a table in a CSV file: named feature columns, a target column; classification or regression",
      std::move(fields), [](const nlohmann::json& options) -> std::unique_ptr<Dataset> {
        return std::make_unique<CsvDataset>(csv_options_from_json(options));
      }};
  // Option shapes first (at their own keys), then the files: a missing or malformed file
  // or column is bad input found before anything runs, pointing at the key naming the file.
  csv.check = [](const SpecNode& section, const nlohmann::json& options) {
    auto node = [&](const std::string& key) {
      const SpecNode* at = section.is_map() ? section.find(key) : nullptr;
      return at ? at->mark() : section.mark();
    };
    const nlohmann::json& features = options.at("features");
    if (!features.is_null()) {
      bool names = features.is_array() && !features.empty();
      if (names)
        for (const auto& name : features) names = names && name.is_string() && !name.get<std::string>().empty();
      if (!names) {
        const SpecNode* at = section.is_map() ? section.find("features") : nullptr;
        throw SpecError(node("features"), "data.features",
                        "expected a non-empty list of column names, got " + (at ? at->describe() : features.dump()));
      }
    }
    const std::string delimiter = options.at("delimiter").get<std::string>();
    if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r")
      throw SpecError(node("delimiter"), "data.delimiter",
                      "expected one character other than a quote or a line break, got '" + delimiter + "'");
    if (options.at("test_path").is_string() && options.at("test_fraction").get<double>() > 0)
      throw SpecError(node("test_fraction"), "data.test_fraction",
                      "give test_path or test_fraction, not both (test_path is the test split)");
    try {
      load_csv_splits(csv_options_from_json(options));
    } catch (const CsvInputError& e) {
      throw SpecError(node(e.key()), "data." + e.key(), e.what());
    }
  };
  registry.add(std::move(csv));
}

}  // namespace torchsweep
