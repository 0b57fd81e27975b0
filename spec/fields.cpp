#include "spec/fields.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "base/cadence.h"
#include "base/error_list.h"
#include "base/paths.h"

namespace torchsweep {

namespace {
std::string qualified(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}
}  // namespace

std::string resolve_spec_path(const std::string& written, const Mark& mark) {
  if (!written.empty() && written[0] == '/') return lexically_normal(written);
  // Spec files are the only origins that name a file (overrides and the command line
  // name themselves): a path written in one is read from the file's folder.
  std::string folder = ".";
  if (mark.origin.rfind("override '", 0) != 0 && is_regular_file(mark.origin)) {
    const size_t slash = mark.origin.rfind('/');
    folder = slash == std::string::npos ? "." : slash == 0 ? "/" : mark.origin.substr(0, slash);
  }
  return absolute_path(join_path(folder, written));
}

nlohmann::json validate_value(const SpecNode& value, const Field& field, const std::string& path) {
  auto fail = [&](const SpecNode& at) -> SpecError {
    return SpecError(at.mark(), path, "expected " + field.expected() + ", got " + at.describe());
  };
  if (value.is_null() && field.nullable) return nullptr;
  auto in_range = [&](double v) {
    if (!std::isfinite(v)) return false;
    if (field.min_exclusive ? !(v > field.min) : !(v >= field.min)) return false;
    return v <= field.max;
  };
  switch (field.type) {
    case Field::Type::Number: {
      if (!value.is_number() || !in_range(value.as_double())) throw fail(value);
      return value.as_double();
    }
    case Field::Type::Integer: {
      int64_t v = 0;
      if (value.kind() == SpecNode::Kind::Int) {
        v = value.as_int();
      } else if (value.kind() == SpecNode::Kind::Float && std::isfinite(value.as_double()) &&
                 std::floor(value.as_double()) == value.as_double() && std::fabs(value.as_double()) < 9e15) {
        v = static_cast<int64_t>(value.as_double());
      } else {
        throw fail(value);
      }
      if (!in_range(static_cast<double>(v))) throw fail(value);
      return v;
    }
    case Field::Type::Bool:
      if (value.kind() != SpecNode::Kind::Bool) throw fail(value);
      return value.as_bool();
    case Field::Type::String: {
      if (value.kind() != SpecNode::Kind::String || (field.non_empty && value.as_string().empty())) throw fail(value);
      const std::string& text = value.as_string();
      for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool control = c < 0x20 || c == 0x7f;
        if (control && (field.one_line || (c != '\n' && c != '\t')))
          throw SpecError(value.mark(), path,
                          fmt::format("expected {} without control characters{}, got {} (U+{:04X} at character {})",
                                      field.expected(), field.one_line ? " or line breaks" : "", value.describe(), c,
                                      i + 1));
      }
      return text;
    }
    case Field::Type::Choice: {
      if (value.kind() != SpecNode::Kind::String) throw fail(value);
      for (const auto& c : field.choices)
        if (c == value.as_string()) return c;
      std::string message = "expected " + field.expected() + ", got " + value.describe();
      const std::string close = closest_match(value.as_string(), field.choices);
      if (!close.empty()) message += " (did you mean '" + close + "'?)";
      throw SpecError(value.mark(), path, message);
    }
    case Field::Type::Cadence: {
      const auto cadence = value.kind() == SpecNode::Kind::String ? Cadence::parse(value.as_string()) : std::nullopt;
      if (!cadence) throw fail(value);
      return cadence->str();
    }
    case Field::Type::Any:
      return to_json(value);
    case Field::Type::Path: {
      if (value.kind() != SpecNode::Kind::String || value.as_string().empty()) throw fail(value);
      for (const char c : value.as_string())
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          throw SpecError(value.mark(), path, "expected " + field.expected() + " without control characters, got " +
                                                  value.describe());
      return resolve_spec_path(value.as_string(), value.mark());
    }
    case Field::Type::NumberList: {
      if (!value.is_list() || value.items().empty()) throw fail(value);
      if (field.length && value.items().size() != field.length)
        throw SpecError(value.mark(), path,
                        "expected " + field.expected() + ", got " + std::to_string(value.items().size()) + " values");
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : value.items()) {
        if (!item.is_number() || !in_range(item.as_double()))
          throw SpecError(item.mark(), path, "expected " + field.expected() + ", got " + item.describe());
        out.push_back(item.as_double());
      }
      return out;
    }
  }
  throw fail(value);
}

nlohmann::json validate_fields(const SpecNode& map, const std::vector<Field>& fields, const std::string& prefix,
                               const std::set<std::string>& passthrough) {
  if (!map.is_map())
    throw SpecError(map.mark(), prefix, "expected a mapping, got " + map.describe());
  std::vector<std::string> known;
  for (const auto& f : fields) known.push_back(f.key);
  for (const auto& p : passthrough) known.push_back(p);
  // Each key is checked on its own: every unknown key and every bad value is reported.
  ErrorList errors;
  for (const auto& entry : map.entries()) {
    if (passthrough.count(entry.key) || find_field(fields, entry.key)) continue;
    std::string message = "unknown key";
    const std::string close = closest_match(entry.key, known);
    if (!close.empty()) message += ", did you mean '" + qualified(prefix, close) + "'?";
    message += known.empty() ? " (this entry takes no options)" : " (expected one of: " + join(known) + ")";
    errors.add(SpecError(entry.key_mark, qualified(prefix, entry.key), message));
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& field : fields) {
    const std::string path = qualified(prefix, field.key);
    if (const SpecNode* value = map.find(field.key)) {
      errors.attempt([&] { out[field.key] = validate_value(*value, field, path); });
    } else if (field.required) {
      errors.add(SpecError(map.mark(), path, "missing required key, expected " + field.expected()));
    } else {
      out[field.key] = field.default_value;
    }
  }
  errors.throw_if_any();
  return out;
}

SpecNode from_json(const nlohmann::json& value, const Mark& mark) {
  switch (value.type()) {
    case nlohmann::json::value_t::boolean: return SpecNode::boolean(value.get<bool>(), mark);
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return SpecNode::integer(value.get<int64_t>(), mark);
    case nlohmann::json::value_t::number_float: return SpecNode::floating(value.get<double>(), mark);
    case nlohmann::json::value_t::string: return SpecNode::string(value.get<std::string>(), mark);
    case nlohmann::json::value_t::array: {
      SpecNode out = SpecNode::list(mark);
      for (const auto& item : value) out.push_back(from_json(item, mark));
      return out;
    }
    case nlohmann::json::value_t::object: {
      SpecNode out = SpecNode::map(mark);
      for (auto it = value.begin(); it != value.end(); ++it) out.set(it.key(), from_json(it.value(), mark), mark);
      return out;
    }
    default: return SpecNode::null(mark);
  }
}

nlohmann::json to_json(const SpecNode& node) {
  switch (node.kind()) {
    case SpecNode::Kind::Null: return nullptr;
    case SpecNode::Kind::Bool: return node.as_bool();
    case SpecNode::Kind::Int: return node.as_int();
    case SpecNode::Kind::Float: return node.as_double();
    case SpecNode::Kind::String: return node.as_string();
    case SpecNode::Kind::List: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node.items()) out.push_back(to_json(item));
      return out;
    }
    case SpecNode::Kind::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& e : node.entries()) out[e.key] = to_json(e.value);
      return out;
    }
  }
  return nullptr;
}

}  // namespace torchsweep
