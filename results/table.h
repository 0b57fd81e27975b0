// A small result table and its three renderings: aligned text, CSV and JSON.
#pragma once

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

enum class TableFormat { Table, Csv, Json };

/// "table" | "csv" | "json"; InputError otherwise.
TableFormat parse_table_format(const std::string& text);

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
  /// Columns that hold seconds: aligned text shows them as durations ("12.3 s",
  /// "4m05s"); CSV and JSON keep the numbers.
  std::set<std::string> durations;
};

/// Text for one cell: in tables a number as people read it (base/number_text.h:
/// shortest form, at most 6 significant digits, nan and inf spelled alike), in CSV
/// and JSON at full round-trip precision; NULL as empty (CSV) or "-" (table).
std::string format_cell(const SqlValue& value, TableFormat format);

/// The columns of an aligned text rendering, each as wide as its widest cell.
std::vector<size_t> column_widths(const Table& table);
/// The characters of the widest line of its aligned text rendering.
size_t rendered_width(const Table& table);
/// The table with only the columns at these indices, in the order given.
Table select_columns(const Table& table, const std::vector<size_t>& keep);

void render(const Table& table, TableFormat format, std::ostream& out);

/// Writes a table whose rows arrive one by one: CSV and JSON rows go out as they
/// come, so a long result never sits in memory; aligned text needs every row's width,
/// so it is kept and written by finish().
class TableStream {
 public:
  TableStream(std::vector<std::string> columns, TableFormat format, std::ostream& out);
  void add(std::vector<SqlValue> row);
  /// Ends the output (JSON's closing bracket, the aligned table).
  void finish();
  int64_t rows() const { return rows_; }

 private:
  TableFormat format_;
  std::ostream& out_;
  Table buffered_;  // the columns; the rows too for aligned text
  int64_t rows_ = 0;
};

}  // namespace torchsweep
