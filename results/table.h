// A small result table and its three renderings: aligned text, CSV and JSON.
#pragma once

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

}  // namespace torchsweep
