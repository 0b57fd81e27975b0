// The spec as a tree of values that remember where they were written.
// YAML and TOML files and command-line overrides all become SpecNode trees, so
// validation, sweeps and error messages work the same whatever the source.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

namespace torchsweep {

struct SpecEntry;

class SpecNode {
 public:
  enum class Kind { Null, Bool, Int, Float, String, List, Map };

  SpecNode() = default;
  static SpecNode null(Mark mark);
  static SpecNode boolean(bool value, Mark mark);
  static SpecNode integer(int64_t value, Mark mark);
  static SpecNode floating(double value, Mark mark);
  static SpecNode string(std::string value, Mark mark);
  static SpecNode list(Mark mark);
  static SpecNode map(Mark mark);

  Kind kind() const { return kind_; }
  const Mark& mark() const { return mark_; }
  void set_mark(Mark mark) { mark_ = std::move(mark); }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float; }
  bool is_scalar() const { return !is_list() && !is_map(); }

  bool as_bool() const { return bool_; }
  int64_t as_int() const { return int_; }
  /// The numeric value of an Int or Float node.
  double as_double() const { return kind_ == Kind::Int ? static_cast<double>(int_) : double_; }
  const std::string& as_string() const { return string_; }

  // Lists.
  const std::vector<SpecNode>& items() const { return items_; }
  std::vector<SpecNode>& items() { return items_; }
  void push_back(SpecNode item) { items_.push_back(std::move(item)); }

  // Maps keep the written order; each entry also keeps the mark of its key.
  using Entry = SpecEntry;
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  const SpecNode* find(const std::string& key) const;
  SpecNode* find(const std::string& key);
  const Entry* find_entry(const std::string& key) const;
  /// Adds or replaces `key`.
  void set(const std::string& key, SpecNode value, Mark key_mark);
  bool erase(const std::string& key);

  /// "a number", "a list", ... for messages.
  static std::string kind_name(Kind kind);
  /// The value as the user would write it, shortened when long: `-0.1`, `"abc"`, `[1, 2]`.
  std::string describe() const;

 private:
  Kind kind_ = Kind::Null;
  Mark mark_;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  std::vector<SpecNode> items_;
  std::vector<Entry> entries_;
};

/// One key of a mapping, with where the key was written.
struct SpecEntry {
  std::string key;
  Mark key_mark;
  SpecNode value;
};

/// A dotted path such as "optimizer.lr" split into its parts.
std::vector<std::string> split_path(const std::string& dotted);

}  // namespace torchsweep
