// `results sql`: one statement of the user's, run so that it can read the database
// and nothing else. It cannot write, attach, vacuum into a file, load extensions or
// call functions that reach outside the database (an authorizer refuses them before
// it runs); it opens the file without creating -wal or -shm files beside it; rows
// are written as they come; and a row limit, a time limit and a memory ceiling bound
// what a runaway query (a recursive CTE, a giant blob) can take.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "results/table.h"

namespace torchsweep {

struct SqlQueryLimits {
  /// Rows written at most; empty for all of them.
  std::optional<int64_t> max_rows;
  /// Stop the query after this long; zero for no limit.
  std::chrono::milliseconds timeout{30000};
  /// Bytes SQLite may hold for the query at once (sorting, grouping, a blob).
  int64_t max_memory = int64_t{1} << 30;
};

struct SqlQueryOutcome {
  int64_t rows = 0;
  bool truncated = false;  ///< more rows were there than max_rows
  /// The file was read without a lock (no writer was seen at the start) and a writer
  /// changed it meanwhile: the rows may mix pages from before and after its writes.
  bool written_meanwhile = false;
};

/// The row limit of `results sql` when none is given: aligned text is read by people
/// (and kept in memory to align it); CSV and JSON are for programs, and get every row.
std::optional<int64_t> default_sql_row_limit(TableFormat format);

/// Runs one read-only statement on the results database at `path` and writes its rows
/// to `out`. InputError (naming what was refused, or SQLite's message) when the text
/// is not exactly one statement, when the statement would do anything but read, when
/// it fails, or when it runs past the time limit.
SqlQueryOutcome run_sql_query(const std::string& path, const std::string& sql, const SqlQueryLimits& limits,
                              TableFormat format, std::ostream& out);

}  // namespace torchsweep
