#include "results/sql_query.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>
#include <set>
#include <vector>

#include "base/error.h"
#include "base/paths.h"
#include "base/utf8.h"
#include "results/sqlite.h"

namespace torchsweep {

namespace {

/// What the authorizer saw that it refused, for the error message.
struct Refusal {
  std::string what;
};

/// Pragmas that only read, and may be run with their argument (a table's name).
const std::set<std::string>& readable_pragmas() {
  static const std::set<std::string> names = {
      "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
      "database_list", "function_list", "pragma_list", "collation_list", "compile_options", "integrity_check",
      "quick_check"};
  return names;
}

/// Pragmas that read a value without an argument and set it with one.
const std::set<std::string>& value_pragmas() {
  static const std::set<std::string> names = {"user_version", "schema_version", "application_id", "page_count",
                                              "page_size",    "freelist_count", "encoding",       "data_version"};
  return names;
}

/// Functions that reach outside the database or hand out pointers.
const std::set<std::string>& refused_functions() {
  static const std::set<std::string> names = {"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit",
                                              "fts5"};
  return names;
}

int authorize(void* context, int action, const char* a, const char* b, const char*, const char*) {
  auto* refusal = static_cast<Refusal*>(context);
  const std::string first = a ? a : "";
  const std::string second = b ? b : "";
  auto refuse = [&](const std::string& what) {
    if (refusal->what.empty()) refusal->what = what;
    return SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_UPDATE:
      // SQLite itself reads the schema this way for table-valued pragmas
      // (pragma_table_info); a user's UPDATE is refused as a write below.
      if (first == "sqlite_master" || first == "sqlite_temp_master") return SQLITE_OK;
      return refuse("UPDATE of " + first);
    case SQLITE_FUNCTION:
      if (refused_functions().count(ascii_lower(second))) return refuse("the function " + second + "()");
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      const std::string name = ascii_lower(first);
      if (readable_pragmas().count(name) || (value_pragmas().count(name) && !b)) return SQLITE_OK;
      return refuse("PRAGMA " + first + (b ? " = " + second : ""));
    }
    case SQLITE_ATTACH: return refuse("ATTACH");
    case SQLITE_DETACH: return refuse("DETACH");
    case SQLITE_TRANSACTION: return refuse(first + " (a transaction)");
    case SQLITE_SAVEPOINT: return refuse("SAVEPOINT");
    case SQLITE_INSERT:
    case SQLITE_DELETE:
      if (first == "sqlite_master" || first == "sqlite_temp_master") return refuse("a change to the schema or the file");
      return refuse((action == SQLITE_INSERT ? "INSERT into " : "DELETE from ") + first);
    default: return refuse("a change to the schema or the file");
  }
}

/// Stops the query past its deadline (SQLite calls this every few thousand steps).
struct Deadline {
  std::chrono::steady_clock::time_point at;
  bool passed = false;
};
int check_deadline(void* context) {
  auto* deadline = static_cast<Deadline*>(context);
  if (std::chrono::steady_clock::now() < deadline->at) return 0;
  deadline->passed = true;
  return 1;
}

/// SQLite's memory ceiling for the duration of a query, then the previous one back.
class HeapLimit {
 public:
  explicit HeapLimit(int64_t bytes) : previous_(sqlite3_hard_heap_limit64(bytes)) {}
  ~HeapLimit() { sqlite3_hard_heap_limit64(previous_); }
  HeapLimit(const HeapLimit&) = delete;
  HeapLimit& operator=(const HeapLimit&) = delete;

 private:
  sqlite3_int64 previous_;
};

/// The statement's first word, for messages (VACUUM, DELETE, ...).
std::string first_word(const std::string& sql) {
  const auto begin = sql.find_first_not_of(" \t\r\n(");
  if (begin == std::string::npos) return "";
  const auto end = sql.find_first_of(" \t\r\n(;", begin);
  return ascii_upper(sql.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
}

/// "line L, column C" (1-based, characters) of a byte offset, for messages.
std::string line_and_column(const std::string& text, size_t offset) {
  const TextPosition at = position_of(text, offset);
  return "line " + std::to_string(at.line) + ", column " + std::to_string(at.column);
}

}  // namespace

std::optional<int64_t> default_sql_row_limit(TableFormat format) {
  if (format == TableFormat::Table) return 1000;
  return std::nullopt;
}

SqlQueryOutcome run_sql_query(const std::string& path, const std::string& sql, const SqlQueryLimits& limits,
                              TableFormat format, std::ostream& out) {
  if (!path_exists(path)) throw InputError(path + ": no results database here (run a spec first, or pass --db FILE)");
  if (!is_regular_file(path)) throw InputError("--db " + path + ": not a regular file");
  const TracelessRead read(path);  // no -wal or -shm left beside a file no one writes
  Database db(path, read.mode());
  sqlite3* handle = db.handle();
  // A single string or blob (randomblob(1e9), a huge group_concat) stays below this.
  sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, 64 << 20);

  Refusal refusal;
  sqlite3_set_authorizer(handle, authorize, &refusal);
  size_t end = 0;
  std::optional<Statement> stmt;
  try {
    stmt = Statement::first_of(handle, sql, 0, &end);
  } catch (const DatabaseError&) {
    if (!refusal.what.empty())
      throw InputError("results sql: only queries that read are run; refused: " + refusal.what);
    throw InputError(std::string("results sql: ") + sqlite3_errmsg(handle));
  }
  if (stmt->empty()) throw InputError("results sql: expected a statement, found none");
  // Exactly one statement: whatever follows it must be blank or comments.
  bool another = false;
  try {
    size_t ignored = 0;
    another = !Statement::first_of(handle, sql, end, &ignored).empty();
  } catch (const DatabaseError&) {
    another = true;  // not even a statement, but something
  }
  if (another) {
    const size_t at = sql.find_first_not_of(" \t\r\n;", end);
    throw InputError("results sql: one statement is run, and another follows the first at " +
                     line_and_column(sql, at == std::string::npos ? end : at) + "; run them one at a time");
  }
  // Statements the authorizer is not asked about (VACUUM) are caught here.
  if (!stmt->read_only())
    throw InputError("results sql: only queries that read are run; refused: " + first_word(sql));

  Deadline deadline{std::chrono::steady_clock::now() + limits.timeout};
  if (limits.timeout.count() > 0) sqlite3_progress_handler(handle, 10000, check_deadline, &deadline);
  const HeapLimit heap(limits.max_memory);

  const int columns = stmt->columns();
  std::vector<std::string> names;
  for (int c = 0; c < columns; ++c) names.push_back(stmt->column_name(c));
  TableStream table(names, format, out);
  SqlQueryOutcome outcome;
  while (true) {
    try {
      if (!stmt->step()) break;
    } catch (const DatabaseError& e) {
      if (deadline.passed)
        throw InputError(fmt::format("results sql: stopped after {:g} s (--timeout; 0 for no limit), {} rows written",
                                     static_cast<double>(limits.timeout.count()) / 1000.0, outcome.rows));
      if ((e.code() & 0xff) == SQLITE_NOMEM)
        throw InputError("results sql: the query needs more than " + std::to_string(limits.max_memory >> 20) +
                         " MiB of memory (sorting or grouping too many rows?)");
      std::string message = std::string("results sql: ") + sqlite3_errmsg(handle);
      if (read.written_meanwhile())
        message += " (the database was written while the query read it without a lock; run it again)";
      throw InputError(message);
    }
    if (limits.max_rows && outcome.rows >= *limits.max_rows) {
      outcome.truncated = true;
      break;
    }
    std::vector<SqlValue> row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(stmt->get(c));
    table.add(std::move(row));
    ++outcome.rows;
  }
  table.finish();
  outcome.written_meanwhile = read.written_meanwhile();
  return outcome;
}

}  // namespace torchsweep
