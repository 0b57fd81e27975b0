#include "results/sqlite.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "base/paths.h"

namespace torchsweep {

namespace {
[[noreturn]] void fail(sqlite3* db, int code, const std::string& what) {
  throw DatabaseError(what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(code)), code);
}
/// A file path as the path of a `file:` URI: every byte but letters, digits, '/' and
/// "-._~" percent-encoded (a '?' or '#' in a name would otherwise end the path).
std::string uri_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  // "file://x" would name a host: a path that starts with two slashes keeps one.
  while (out.rfind("//", 0) == 0) out.erase(0, 1);
  return out;
}
}  // namespace

bool DatabaseError::is_busy() const {
  // Not SQLITE_LOCKED: that is a conflict within one connection, which waiting never ends.
  return (code_ & 0xff) == SQLITE_BUSY;
}

void skip_sqlite_memory_statistics() {
  // Only possible before SQLite initialises; later it returns SQLITE_MISUSE and
  // changes nothing.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

namespace {
bool writer_visible(const std::string& path) {
  return path_exists(path + "-wal") || path_exists(path + "-journal");
}
}  // namespace

bool TracelessRead::Stamp::operator==(const Stamp& other) const {
  return exists == other.exists && inode == other.inode && size == other.size && modified_ns == other.modified_ns;
}

TracelessRead::Stamp TracelessRead::stamp(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return {true, static_cast<uint64_t>(info.st_ino), static_cast<int64_t>(info.st_size),
          static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

// The stamp is taken before the look for a writer: a writer that starts between the two
// is then either seen now or moves the stamp later.
TracelessRead::TracelessRead(const std::string& path)
    : path_(path),
      before_(stamp(path)),
      mode_(writer_visible(path) ? Database::Mode::ReadOnly : Database::Mode::Immutable) {}

bool TracelessRead::written_meanwhile() const {
  if (mode_ != Database::Mode::Immutable) return false;
  return path_exists(path_ + "-journal") || !(stamp(path_) == before_);
}

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "cannot prepare SQL");
}
Statement Statement::first_of(sqlite3* db, const std::string& sql, size_t offset, size_t* end) {
  const char* begin = sql.c_str() + std::min(offset, sql.size());
  const char* tail = nullptr;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, begin, static_cast<int>(sql.c_str() + sql.size() - begin), &stmt, &tail);
  if (rc != SQLITE_OK) fail(db, rc, "cannot prepare SQL");
  *end = tail ? static_cast<size_t>(tail - sql.c_str()) : sql.size();
  return Statement(db, stmt);
}
bool Statement::read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }
Statement::~Statement() { sqlite3_finalize(stmt_); }
Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind_borrowed(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC) != SQLITE_OK)
    fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind_blob(int index, const void* data, size_t size) {
  if (sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT) != SQLITE_OK) fail(db_, 0, "bind");
  return *this;
}
Statement& Statement::bind(int index, const SqlValue& value) {
  std::visit([&](const auto& v) { bind(index, v); }, value);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset as run() does: a statement kept for reuse must not keep borrowed text
  // (bind_borrowed) past the call that bound it, failed or not.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  fail(db_, rc, "SQL failed");
}
void Statement::run() {
  while (step()) {
  }
  reset();
}
void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::columns() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int index) const { return sqlite3_column_name(stmt_, index); }
bool Statement::is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
int64_t Statement::get_int(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::get_double(int index) const { return sqlite3_column_double(stmt_, index); }
std::string Statement::get_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}
std::string_view Statement::get_blob(int index) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  return data ? std::string_view(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))) : std::string_view();
}
SqlValue Statement::get(int index) const {
  switch (sqlite3_column_type(stmt_, index)) {
    case SQLITE_INTEGER: return get_int(index);
    case SQLITE_FLOAT: return get_double(index);
    case SQLITE_NULL: return nullptr;
    case SQLITE_BLOB: {
      // Raw bytes would garble a terminal or a CSV file.
      static const char digits[] = "0123456789abcdef";
      const std::string_view bytes = get_blob(index);
      std::string literal = "x'";
      literal.reserve(bytes.size() * 2 + 3);
      for (const char c : bytes) {
        literal += digits[(static_cast<unsigned char>(c) >> 4) & 0xf];
        literal += digits[static_cast<unsigned char>(c) & 0xf];
      }
      return literal + "'";
    }
    default: return get_text(index);
  }
}

Database::Database(const std::string& path, Mode mode) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  std::string name = path;
  switch (mode) {
    case Mode::ReadWrite: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case Mode::ReadOnly: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::Immutable:
      flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
      name = "file:" + uri_path(path) + "?immutable=1";
      break;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw DatabaseError(path + ": cannot open the results database: " + message, rc);
  }
  // Writers from other processes wait for the lock instead of failing.
  set_busy_timeout(kBusyTimeout);
  sqlite3_extended_result_codes(db_, 1);
}
Database::~Database() { sqlite3_close(db_); }

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw DatabaseError(message, rc);
  }
}
Statement Database::prepare(const std::string& sql) const { return Statement(db_, sql); }
int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int64_t Database::changes() const { return sqlite3_changes(db_); }
void Database::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}
void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace torchsweep
