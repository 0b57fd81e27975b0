#include "base/field.h"

#include <cmath>
#include <sstream>

#include "base/cadence.h"
#include "base/error.h"

namespace torchsweep {

namespace {
std::string format_bound(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
}  // namespace

Field Field::number(std::string key, double default_value, std::string doc) {
  Field f;
  f.key = std::move(key);
  f.type = Type::Number;
  f.default_value = default_value;
  f.doc = std::move(doc);
  return f;
}
Field Field::integer(std::string key, int64_t default_value, std::string doc) {
  Field f = number(std::move(key), 0, std::move(doc));
  f.type = Type::Integer;
  f.default_value = default_value;
  return f;
}
Field Field::boolean(std::string key, bool default_value, std::string doc) {
  Field f = number(std::move(key), 0, std::move(doc));
  f.type = Type::Bool;
  f.default_value = default_value;
  return f;
}
Field Field::string(std::string key, std::string default_value, std::string doc) {
  Field f = number(std::move(key), 0, std::move(doc));
  f.type = Type::String;
  f.default_value = std::move(default_value);
  return f;
}
Field Field::choice(std::string key, std::string default_value, std::vector<std::string> choices, std::string doc) {
  Field f = string(std::move(key), std::move(default_value), std::move(doc));
  f.type = Type::Choice;
  f.choices = std::move(choices);
  return f;
}
Field Field::number_list(std::string key, std::vector<double> default_value, std::string doc) {
  Field f = number(std::move(key), 0, std::move(doc));
  f.type = Type::NumberList;
  f.default_value = default_value;
  return f;
}

Field Field::cadence(std::string key, std::string doc) {
  Field f;
  f.key = std::move(key);
  f.doc = std::move(doc);
  f.type = Type::Cadence;
  return f.optional();
}

Field Field::any(std::string key, nlohmann::json default_value, std::string doc) {
  Field f = number(std::move(key), 0, std::move(doc));
  f.type = Type::Any;
  f.default_value = std::move(default_value);
  return f;
}

Field Field::path(std::string key, std::string doc) {
  Field f = string(std::move(key), "", std::move(doc));
  f.type = Type::Path;
  f.default_value = nullptr;
  f.non_empty = true;
  f.one_line = true;
  return f.make_required();
}

std::string Field::expected() const {
  std::string range;
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (has_min && has_max)
    range = " in [" + format_bound(min) + ", " + format_bound(max) + "]";
  else if (has_min)
    range = (min == 0 && min_exclusive) ? "" : std::string(min_exclusive ? " > " : " >= ") + format_bound(min);
  else if (has_max)
    range = " <= " + format_bound(max);
  const bool positive = has_min && min == 0 && min_exclusive && !has_max;
  switch (type) {
    case Type::Number: return positive ? "a positive number" : "a finite number" + range;
    case Type::Integer: return positive ? "a positive integer" : "an integer" + range;
    case Type::Bool: return "true or false";
    case Type::String: return non_empty ? "a non-empty string" : "a string";
    case Type::Choice: return "one of " + join(choices);
    case Type::Cadence: return cadence_expected();
    case Type::Any: return "a value";
    case Type::Path: return "a file's path";
    case Type::NumberList:
      return length ? "a list of " + std::to_string(length) + " finite numbers" : "a non-empty list of finite numbers";
  }
  return "a value";
}

const Field* find_field(const std::vector<Field>& fields, const std::string& key) {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

}  // namespace torchsweep
