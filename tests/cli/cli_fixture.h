// What the command-line tests share: reading a value from a database that another
// process (the torchsweep under test) may be writing at the time.
#pragma once

#include <sqlite3.h>

#include <string>

namespace torchsweep::testing::cli {

/// One value from a database another process may be writing, or "" (not there yet,
/// also while the file is being created). Waits up to 5 s for a writer's lock.
inline std::string poll_value(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW &&
        sqlite3_column_text(stmt, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace torchsweep::testing::cli
