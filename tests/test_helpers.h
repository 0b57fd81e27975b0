// Shared test helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "base/paths.h"

/// Asserts that `statement` throws `exception_type` whose what() contains `substring`.
#define ASSERT_THROWS_WITH(statement, exception_type, substring)                               \
  do {                                                                                        \
    try {                                                                                     \
      statement;                                                                              \
      FAIL() << "expected " #exception_type " containing \"" << (substring) << "\", got none"; \
    } catch (const exception_type& e) {                                                       \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)                     \
          << "message: " << e.what() << "\nexpected to contain: " << (substring);             \
    }                                                                                         \
  } while (0)

namespace torchsweep::testing {

/// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() : path_(make_temp_directory("torchsweep-test-")) {}
  ~TempDir() {
    try {
      remove_all(path_);
    } catch (const std::exception&) {  // a test's leftovers must not end the test run
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return join_path(path_, name); }
  /// Writes `text` to a file inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream out(file(name), std::ios::binary);
    out << text;
    return file(name);
  }

 private:
  std::string path_;
};

/// The repository's root (for shipped specs).
inline std::string source_dir() { return TORCHSWEEP_SOURCE_DIR; }

}  // namespace torchsweep::testing
