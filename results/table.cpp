#include "results/table.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"

namespace torchsweep {

TableFormat parse_table_format(const std::string& text) {
  if (text == "table") return TableFormat::Table;
  if (text == "csv") return TableFormat::Csv;
  if (text == "json") return TableFormat::Json;
  throw InputError("--format: expected table, csv or json, got \"" + text + "\"");
}

namespace {
std::string format_double(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
  return buffer;
}

/// The shortest text that reads back as the same double (0.1, not 0.10000000000000001;
/// 1, not 1.0), as the JSON output's numbers do.
std::string format_shortest(double v) {
  if (!std::isfinite(v)) return format_double(v, 17);
  return fmt::format("{}", v);
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

nlohmann::ordered_json to_json_value(const SqlValue& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return nullptr;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  // JSON has no NaN or infinity: those travel as strings.
  if (const auto* d = std::get_if<double>(&v))
    return std::isfinite(*d) ? nlohmann::ordered_json(*d) : nlohmann::ordered_json(format_double(*d, 17));
  return std::get<std::string>(v);
}
}  // namespace

std::string format_cell(const SqlValue& value, TableFormat format) {
  if (std::holds_alternative<std::nullptr_t>(value)) return format == TableFormat::Table ? "-" : "";
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value))
    return format == TableFormat::Table ? format_double(*d, 10) : format_shortest(*d);
  return std::get<std::string>(value);
}

void render(const Table& table, TableFormat format, std::ostream& out) {
  switch (format) {
    case TableFormat::Json:
    case TableFormat::Csv: {
      TableStream stream(table.columns, format, out);
      for (const auto& row : table.rows) stream.add(row);
      stream.finish();
      break;
    }
    case TableFormat::Table: {
      std::vector<size_t> width(table.columns.size());
      std::vector<std::vector<std::string>> cells;
      for (size_t c = 0; c < table.columns.size(); ++c) width[c] = table.columns[c].size();
      for (const auto& row : table.rows) {
        cells.emplace_back();
        for (size_t c = 0; c < row.size(); ++c) {
          cells.back().push_back(format_cell(row[c], format));
          width[c] = std::max(width[c], cells.back().back().size());
        }
      }
      auto line = [&](const std::vector<std::string>& values, const std::vector<bool>& right) {
        std::string text;
        for (size_t c = 0; c < values.size(); ++c) {
          const std::string pad(width[c] - values[c].size(), ' ');
          text += (c ? "  " : "") + (right[c] ? pad + values[c] : values[c] + pad);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << "\n";
      };
      std::vector<bool> numeric(table.columns.size(), false);
      for (size_t c = 0; c < table.columns.size(); ++c)
        numeric[c] = !table.rows.empty() && std::all_of(table.rows.begin(), table.rows.end(), [&](const auto& row) {
          return !std::holds_alternative<std::string>(row[c]);
        });
      line(table.columns, numeric);
      std::vector<std::string> rule;
      for (size_t c = 0; c < table.columns.size(); ++c) rule.push_back(std::string(width[c], '-'));
      line(rule, numeric);
      for (const auto& row : cells) line(row, numeric);
      break;
    }
  }
}

TableStream::TableStream(std::vector<std::string> columns, TableFormat format, std::ostream& out)
    : format_(format), out_(out) {
  buffered_.columns = std::move(columns);
  if (format_ == TableFormat::Json) {
    out_ << "[";
  } else if (format_ == TableFormat::Csv) {
    for (size_t c = 0; c < buffered_.columns.size(); ++c) out_ << (c ? "," : "") << csv_escape(buffered_.columns[c]);
    out_ << "\n";
  }
}

void TableStream::add(std::vector<SqlValue> row) {
  switch (format_) {
    case TableFormat::Json: {
      // ordered_json keeps the column order.
      nlohmann::ordered_json object;
      for (size_t c = 0; c < buffered_.columns.size(); ++c) object[buffered_.columns[c]] = to_json_value(row[c]);
      out_ << (rows_ ? ",\n " : "\n ") << object.dump();
      break;
    }
    case TableFormat::Csv:
      for (size_t c = 0; c < row.size(); ++c) out_ << (c ? "," : "") << csv_escape(format_cell(row[c], format_));
      out_ << "\n";
      break;
    case TableFormat::Table:
      buffered_.rows.push_back(std::move(row));
      break;
  }
  ++rows_;
}

void TableStream::finish() {
  if (format_ == TableFormat::Json) out_ << (rows_ == 0 ? "]\n" : "\n]\n");
  if (format_ == TableFormat::Table) render(buffered_, format_, out_);
  out_.flush();
}

}  // namespace torchsweep
