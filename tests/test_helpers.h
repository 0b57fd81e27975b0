// Shared test helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "torchsweep-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `text` to a file inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream out(file(name), std::ios::binary);
    out << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

/// The repository's root (for shipped specs).
inline std::string source_dir() { return TORCHSWEEP_SOURCE_DIR; }

}  // namespace torchsweep::testing
