// A thin RAII layer over SQLite's C API: a connection, prepared statements with
// typed binding, and transactions. Errors become DatabaseError with SQLite's message.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

struct sqlite3;
struct sqlite3_stmt;

namespace torchsweep {

class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  /// Another connection held the lock past the busy timeout ("database is locked"):
  /// the same statement may succeed later.
  bool is_busy() const;

 private:
  int code_;
};

/// A value read from or bound to SQL.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  /// The first statement of `sql` from byte `offset` on, for text that may hold several
  /// (a user's query); `*end` is set to the byte after it. empty() when only blanks and
  /// comments remain.
  static Statement first_of(sqlite3* db, const std::string& sql, size_t offset, size_t* end);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  /// Binds text without copying it: `value` must stay unchanged until the statement
  /// is reset (the insert loops of bulk writes).
  Statement& bind_borrowed(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind(int index, const SqlValue& value);
  /// Binds `size` bytes as a BLOB (copied).
  Statement& bind_blob(int index, const void* data, size_t size);

  /// Advances; true while a row is available.
  bool step();
  /// Steps to completion (for statements without results), then resets.
  void run();
  void reset();

  int columns() const;
  std::string column_name(int index) const;
  bool is_null(int index) const;
  int64_t get_int(int index) const;
  double get_double(int index) const;
  std::string get_text(int index) const;
  /// A BLOB column's bytes, valid until the next step() or reset(); empty for NULL.
  std::string_view get_blob(int index) const;
  /// A column's value; a BLOB reads as its SQL literal, x'0a1b...' (never raw bytes).
  SqlValue get(int index) const;

  /// No statement (first_of found only blanks and comments).
  bool empty() const { return stmt_ == nullptr; }
  /// Whether running it leaves the database as it was, as SQLite itself judges
  /// (VACUUM, which an authorizer is never asked about, is not).
  bool read_only() const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// One connection. It does no locking of its own (SQLite's multi-thread mode): one
/// thread at a time uses it, and threads that share one hold a mutex around it (the
/// Store's), which saves SQLite's per-call locking on the bulk-write path.
class Database {
 public:
  /// Immutable reads the file as one no one changes: no locks, and no -wal or -shm
  /// file created beside it (for a database no process is writing).
  enum class Mode { ReadWrite, ReadOnly, Immutable };
  /// Opens (ReadWrite creates the file). Sets a busy timeout so concurrent writers wait.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) const;
  int64_t last_insert_id() const;
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  /// How long a statement waits for another connection's lock before it fails with
  /// a busy error (kBusyTimeout unless changed).
  void set_busy_timeout(std::chrono::milliseconds timeout);
  static constexpr std::chrono::milliseconds kBusyTimeout{60000};
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// Turns off SQLite's count of allocated memory, which takes a global mutex on every
/// allocation (a tenth of the bulk-logging path). Call it first thing in a program that
/// records runs; without the count, a heap limit (results sql's memory ceiling) has no
/// effect, so the program that answers queries keeps it.
void skip_sqlite_memory_statistics();

/// Reading a database without leaving a file behind. A file that no connection is
/// writing (no -wal or -journal beside it) is opened Immutable: no locks, and no -wal or
/// -shm created, so a file that is refused or only queried is left as it was. Otherwise
/// it is opened ReadOnly, like any reader, to see the writer's changes.
/// An immutable read takes no lock and never looks at a -wal file. A writer that starts
/// meanwhile writes to its -wal, which leaves the read consistent (as of its start), but
/// its checkpoint, or a writer without WAL, changes the file's pages under the read.
/// written_meanwhile() says when that may have happened; an answer that matters is then
/// read again ReadOnly.
class TracelessRead {
 public:
  explicit TracelessRead(const std::string& path);
  Database::Mode mode() const { return mode_; }
  /// Whether, since construction, the immutable read may have been disturbed: the
  /// file's size, inode or modification time moved, or a rollback journal says that a
  /// writer is changing it now. Always false for a ReadOnly read, which locks.
  bool written_meanwhile() const;

 private:
  struct Stamp {
    bool exists = false;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t modified_ns = 0;
    bool operator==(const Stamp& other) const;
  };
  static Stamp stamp(const std::string& path);

  std::string path_;
  Stamp before_;
  Database::Mode mode_;
};

/// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace torchsweep
