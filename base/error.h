// Typed errors. Bad input (a spec, an override, a flag, a missing file) is an
// InputError and makes the program exit with code 2 before anything is run or
// written; everything else that goes wrong at run time is a RuntimeFailure (exit 1).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace torchsweep {

/// Where a value came from: a spec file position, or a command-line override.
struct Mark {
  std::string origin;  ///< file path, or "override 'key=value'"
  int line = 0;        ///< 1-based; 0 when unknown
  int column = 0;      ///< 1-based; 0 when unknown

  /// "spec.yaml:7:7" or "override 'optimizer.lr=-1'" (columns only where known).
  std::string str() const;
};

/// Bad input from the user. Exit code 2; nothing has been run or written.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

/// A bad value in a spec or override: `FILE:LINE:COL: key: message`.
class SpecError : public InputError {
 public:
  SpecError(Mark mark, std::string key, std::string message);

  const Mark& mark() const { return mark_; }
  const std::string& key() const { return key_; }
  /// The message without the position and key prefix.
  const std::string& detail() const { return detail_; }

 private:
  Mark mark_;
  std::string key_;
  std::string detail_;
};

/// A failure at run time that is not the user's input (I/O, database, training).
class RuntimeFailure : public std::runtime_error {
 public:
  explicit RuntimeFailure(const std::string& message) : std::runtime_error(message) {}
};

/// The closest candidate to `word` within a small edit distance, or "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// "a, b, c" for listing valid names in messages.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace torchsweep
