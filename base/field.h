// Declared options: each registry entry (and each fixed spec section) lists its
// fields with type, default, range and a one-line doc. A plain declaration: checking
// a spec against fields is the spec's work (spec/fields.h).
#pragma once

#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <vector>

namespace torchsweep {

struct Field {
  enum class Type { Number, Integer, Bool, String, Choice, NumberList, Cadence, Any, Path };

  std::string key;
  Type type = Type::Number;
  /// The value used when the spec omits the key; null with `required` unset means "absent".
  nlohmann::json default_value;
  /// One line shown by `torchsweep models` and in docs.
  std::string doc;
  bool required = false;
  /// Whether null is an accepted value.
  bool nullable = false;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  /// Valid values of a Choice.
  std::vector<std::string> choices;
  /// Exact length of a NumberList; 0 accepts any non-empty length.
  size_t length = 0;
  /// Whether a String must have at least one character.
  bool non_empty = false;
  /// Whether a String must be one line: no tab or line break either. (Other control
  /// characters, NUL among them, are refused in every string.)
  bool one_line = false;

  // Builders, so that declarations read as one line each.
  static Field number(std::string key, double default_value, std::string doc);
  static Field integer(std::string key, int64_t default_value, std::string doc);
  static Field boolean(std::string key, bool default_value, std::string doc);
  static Field string(std::string key, std::string default_value, std::string doc);
  static Field choice(std::string key, std::string default_value, std::vector<std::string> choices, std::string doc);
  static Field number_list(std::string key, std::vector<double> default_value, std::string doc);
  /// How often: "2 epochs", "500 steps" or "end" (see cadence.h); stored canonically.
  static Field cadence(std::string key, std::string doc);
  /// Any structure, checked later by the entry's own check (e.g. a list of layers).
  static Field any(std::string key, nlohmann::json default_value, std::string doc);
  /// A file or folder: written relative to the spec file's folder (relative to the
  /// working directory on the command line), resolved to an absolute path, so the
  /// resolved config finds it from anywhere. Required; `optional()` makes it absent.
  static Field path(std::string key, std::string doc);
  Field& positive() { min = 0; min_exclusive = true; return *this; }
  Field& at_least(double bound) { min = bound; min_exclusive = false; return *this; }
  Field& at_most(double bound) { max = bound; return *this; }
  Field& of_length(size_t n) { length = n; return *this; }
  Field& make_required() { required = true; return *this; }
  Field& not_empty() { non_empty = true; return *this; }
  Field& single_line() { one_line = true; return *this; }
  /// No default: the key is absent (null) unless the spec gives it.
  Field& optional() { default_value = nullptr; nullable = true; required = false; return *this; }

  /// Whether a list written at this key is a sweep (true for every scalar type).
  bool is_scalar() const { return type != Type::NumberList && type != Type::Any; }
  /// "a positive number", "an integer >= 1", "one of grid, zip", ...
  std::string expected() const;
};

/// The field with this key, or nullptr.
const Field* find_field(const std::vector<Field>& fields, const std::string& key);

}  // namespace torchsweep
