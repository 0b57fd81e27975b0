// A small result table and its three renderings: aligned text, CSV and JSON.
#pragma once

#include <cstdint>
#include <ostream>
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
};

/// Text for one cell: numbers with up to 10 significant digits in tables, full
/// round-trip precision in CSV and JSON; NULL as empty (CSV) or "-" (table).
std::string format_cell(const SqlValue& value, TableFormat format);

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
