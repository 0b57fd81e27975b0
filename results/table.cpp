#include "results/table.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "base/number_text.h"
#include "base/utf8.h"

namespace torchsweep {

TableFormat parse_table_format(const std::string& text) {
  if (text == "table") return TableFormat::Table;
  if (text == "csv") return TableFormat::Csv;
  if (text == "json") return TableFormat::Json;
  throw InputError("--format: expected table, csv or json, got \"" + text + "\"");
}

namespace {
/// The shortest text that reads back as the same double (0.1, not 0.10000000000000001;
/// 1, not 1.0), as the JSON output's numbers do.
std::string format_shortest(double v) {
  if (!std::isfinite(v)) return readable_number(v);  // nan, inf, -inf
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
    return std::isfinite(*d) ? nlohmann::ordered_json(*d) : nlohmann::ordered_json(readable_number(*d));
  return std::get<std::string>(v);
}
}  // namespace

std::string format_cell(const SqlValue& value, TableFormat format) {
  if (std::holds_alternative<std::nullptr_t>(value)) return format == TableFormat::Table ? "-" : "";
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value))
    return format == TableFormat::Table ? readable_number(*d) : format_shortest(*d);
  return std::get<std::string>(value);
}

namespace {

/// Aligned text's cells: durations for the duration columns, else format_cell's.
std::vector<std::vector<std::string>> text_cells(const Table& table) {
  std::vector<bool> duration(table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) duration[c] = table.durations.count(table.columns[c]) > 0;
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : table.rows) {
    cells.emplace_back();
    for (size_t c = 0; c < row.size(); ++c) {
      const auto* d = std::get_if<double>(&row[c]);
      const auto* i = std::get_if<int64_t>(&row[c]);
      if ((d || i) && c < duration.size() && duration[c])
        cells.back().push_back(readable_duration(d ? *d : static_cast<double>(*i)));
      else
        cells.back().push_back(format_cell(row[c], TableFormat::Table));
    }
  }
  return cells;
}

std::vector<size_t> widths_of(const Table& table, const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width(table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) width[c] = character_count(table.columns[c]);
  for (const auto& row : cells)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], character_count(row[c]));
  return width;
}

}  // namespace

std::vector<size_t> column_widths(const Table& table) { return widths_of(table, text_cells(table)); }

size_t rendered_width(const Table& table) {
  size_t total = 0;
  const auto widths = column_widths(table);
  for (size_t c = 0; c < widths.size(); ++c) total += (c ? 2 : 0) + widths[c];
  return total;
}

Table select_columns(const Table& table, const std::vector<size_t>& keep) {
  Table out;
  for (const size_t c : keep) {
    out.columns.push_back(table.columns.at(c));
    if (table.durations.count(table.columns[c])) out.durations.insert(table.columns[c]);
  }
  for (const auto& row : table.rows) {
    std::vector<SqlValue> cells;
    for (const size_t c : keep) cells.push_back(row.at(c));
    out.rows.push_back(std::move(cells));
  }
  return out;
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
      const auto cells = text_cells(table);
      const auto width = widths_of(table, cells);
      auto line = [&](const std::vector<std::string>& values, const std::vector<bool>& right) {
        std::string text;
        for (size_t c = 0; c < values.size(); ++c) {
          const std::string pad(width[c] - character_count(values[c]), ' ');
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
