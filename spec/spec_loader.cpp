#include "spec/spec_loader.h"

#include "base/paths.h"
#include "base/utf8.h"
#include "torchsweep/config.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <vector>
#include <sys/stat.h>

#if TORCHSWEEP_HAVE_TOML
#include <toml++/toml.h>
#endif

namespace torchsweep {

namespace {

/// Counts nodes and depth while converting, so limits trip early.
class Budget {
 public:
  explicit Budget(const SpecLimits& limits) : limits_(limits) {}
  void enter(const Mark& mark, int depth) {
    if (depth > limits_.max_depth)
      throw SpecError(mark, "", "nesting deeper than " + std::to_string(limits_.max_depth) +
                                    " levels, expected a flatter spec");
    if (++nodes_ > limits_.max_nodes)
      throw SpecError(mark, "", "more than " + std::to_string(limits_.max_nodes) +
                                    " values (after expanding aliases), expected a smaller spec");
  }

 private:
  const SpecLimits& limits_;
  size_t nodes_ = 0;
};

// --- YAML -------------------------------------------------------------------

Mark yaml_mark(const YAML::Mark& m, const std::string& origin) {
  if (m.is_null()) return Mark{origin, 0, 0};
  return Mark{origin, m.line + 1, m.column + 1};
}

/// Resolves a plain scalar by YAML 1.2's core schema (plus bare nan/inf).
SpecNode resolve_plain_scalar(const std::string& s, const Mark& mark) {
  static const std::regex int_re("[-+]?[0-9]+");
  static const std::regex hex_re("0x[0-9a-fA-F]+");
  static const std::regex oct_re("0o[0-7]+");
  static const std::regex float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex inf_re("[-+]?\\.?(inf|Inf|INF)");
  static const std::regex nan_re("\\.?(nan|NaN|NAN)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return SpecNode::null(mark);
  if (s == "true" || s == "True" || s == "TRUE") return SpecNode::boolean(true, mark);
  if (s == "false" || s == "False" || s == "FALSE") return SpecNode::boolean(false, mark);
  try {
    if (std::regex_match(s, int_re)) return SpecNode::integer(std::stoll(s), mark);
    if (std::regex_match(s, hex_re)) return SpecNode::integer(std::stoll(s.substr(2), nullptr, 16), mark);
    if (std::regex_match(s, oct_re)) return SpecNode::integer(std::stoll(s.substr(2), nullptr, 8), mark);
  } catch (const std::out_of_range&) {
    throw SpecError(mark, "", "integer " + s + " is out of range, expected a 64-bit integer");
  }
  if (std::regex_match(s, float_re)) return SpecNode::floating(std::strtod(s.c_str(), nullptr), mark);
  if (std::regex_match(s, inf_re))
    return SpecNode::floating(s[0] == '-' ? -std::numeric_limits<double>::infinity()
                                          : std::numeric_limits<double>::infinity(),
                              mark);
  if (std::regex_match(s, nan_re)) return SpecNode::floating(std::numeric_limits<double>::quiet_NaN(), mark);
  return SpecNode::string(s, mark);
}

SpecNode from_yaml(const YAML::Node& node, const std::string& origin, Budget& budget, int depth) {
  const Mark mark = yaml_mark(node.Mark(), origin);
  budget.enter(mark, depth);
  // yaml-cpp marks plain nodes "?" and quoted ones "!"; anything else is a tag the
  // spec would silently ignore (`lr: !!str 0.1` would still be a number).
  const std::string& tag = node.Tag();
  if (!tag.empty() && tag != "?" && tag != "!")
    throw SpecError(mark, "", "a YAML tag (" + tag + "), expected plain values (quote a value to make it text)");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return SpecNode::null(mark);
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted scalars "!" and plain ones "?": only plain ones are typed.
      if (node.Tag() == "!") return SpecNode::string(node.Scalar(), mark);
      return resolve_plain_scalar(node.Scalar(), mark);
    case YAML::NodeType::Sequence: {
      SpecNode list = SpecNode::list(mark);
      for (const auto& item : node) list.push_back(from_yaml(item, origin, budget, depth + 1));
      return list;
    }
    case YAML::NodeType::Map: {
      SpecNode map = SpecNode::map(mark);
      for (const auto& kv : node) {
        const Mark key_mark = yaml_mark(kv.first.Mark(), origin);
        if (!kv.first.IsScalar())
          throw SpecError(key_mark, "", "a key must be a plain name, found a " +
                                            std::string(kv.first.IsMap() ? "mapping" : "list"));
        const std::string key = kv.first.Scalar();
        if (const auto* previous = map.find_entry(key))
          throw SpecError(key_mark, key, "duplicate key, expected each key once (first at line " +
                                             std::to_string(previous->key_mark.line) + ")");
        map.entries().push_back({key, key_mark, from_yaml(kv.second, origin, budget, depth + 1)});
      }
      return map;
    }
  }
  return SpecNode::null(mark);
}

#if TORCHSWEEP_HAVE_TOML
// --- TOML -------------------------------------------------------------------

Mark toml_mark(const toml::source_region& region, const std::string& origin) {
  return Mark{origin, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

SpecNode from_toml(const toml::node& node, const std::string& origin, Budget& budget, int depth) {
  const Mark mark = toml_mark(node.source(), origin);
  budget.enter(mark, depth);
  if (const auto* table = node.as_table()) {
    SpecNode map = SpecNode::map(mark);
    for (const auto& [key, value] : *table)
      map.entries().push_back({std::string(key.str()), toml_mark(key.source(), origin),
                               from_toml(value, origin, budget, depth + 1)});
    return map;
  }
  if (const auto* array = node.as_array()) {
    SpecNode list = SpecNode::list(mark);
    for (const auto& item : *array) list.push_back(from_toml(item, origin, budget, depth + 1));
    return list;
  }
  if (const auto* v = node.as_integer()) return SpecNode::integer(v->get(), mark);
  if (const auto* v = node.as_floating_point()) return SpecNode::floating(v->get(), mark);
  if (const auto* v = node.as_boolean()) return SpecNode::boolean(v->get(), mark);
  if (const auto* v = node.as_string()) return SpecNode::string(v->get(), mark);
  std::ostringstream text;  // dates and times: kept as their written form
  node.visit([&](const auto& n) { text << n; });
  return SpecNode::string(text.str(), mark);
}
#endif

}  // namespace

bool toml_supported() { return TORCHSWEEP_HAVE_TOML != 0; }

std::string read_spec_text(const std::string& path, const SpecLimits& limits) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw InputError(path + ": cannot read the spec: " + std::strerror(errno));
  if (S_ISDIR(info.st_mode)) throw InputError(path + ": is a directory, expected a spec file");
  // A FIFO or a device would block or never end: only regular files are read.
  if (!S_ISREG(info.st_mode)) throw InputError(path + ": not a regular file, expected a spec file");
  if (static_cast<size_t>(info.st_size) > limits.max_file_bytes)
    throw InputError(path + ": the spec is " + std::to_string(info.st_size) + " bytes, expected at most " +
                     std::to_string(limits.max_file_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read the spec: " + std::strerror(errno));
  // Read at most one byte past the limit, whatever the file does meanwhile.
  std::string text(limits.max_file_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw InputError(path + ": cannot read the spec: read error");
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limits.max_file_bytes)
    throw InputError(path + ": the spec grew past " + std::to_string(limits.max_file_bytes) + " bytes while read");
  return text;
}

SpecNode parse_yaml(const std::string& text, const std::string& origin, const SpecLimits& limits) {
  YAML::Node root;
  try {
    // One spec per file: a second document would otherwise be ignored without a word.
    const std::vector<YAML::Node> documents = YAML::LoadAll(text);
    for (size_t i = 1; i < documents.size(); ++i)
      if (!documents[i].IsNull())
        throw SpecError(yaml_mark(documents[i].Mark(), origin), "",
                        "a second YAML document (after '---'), expected one spec per file");
    if (!documents.empty()) root = documents.front();
  } catch (const YAML::DeepRecursion& e) {
    throw SpecError(yaml_mark(e.mark, origin), "", "nesting deeper than " + std::to_string(limits.max_depth) +
                                                       " levels, expected a flatter spec");
  } catch (const YAML::Exception& e) {
    // yaml-cpp's own depth guard and syntax errors both land here.
    throw SpecError(yaml_mark(e.mark, origin), "", "malformed YAML: " + e.msg);
  }
  Budget budget(limits);
  try {
    return from_yaml(root, origin, budget, 0);
  } catch (const YAML::Exception& e) {
    throw SpecError(yaml_mark(e.mark, origin), "", "malformed YAML: " + e.msg);
  }
}

SpecNode parse_toml(const std::string& text, const std::string& origin, const SpecLimits& limits) {
#if TORCHSWEEP_HAVE_TOML
  try {
    toml::table table = toml::parse(text, origin);
    Budget budget(limits);
    SpecNode root = from_toml(table, origin, budget, 0);
    return root;
  } catch (const toml::parse_error& e) {
    throw SpecError(toml_mark(e.source(), origin), "", "malformed TOML: " + std::string(e.description()));
  }
#else
  (void)text;
  (void)limits;
  throw SpecError(Mark{origin, 0, 0}, "",
                  "this torchsweep was built without TOML++ (Debian package libtomlplusplus-dev), "
                  "so it cannot read .toml specs; rebuild with it installed, or write the spec in YAML");
#endif
}

SpecNode load_spec_file(const std::string& path, const SpecLimits& limits) {
  const std::string ext = ascii_lower(path_extension(path));  // ".YAML" is a YAML spec too
  if (ext != ".yaml" && ext != ".yml" && ext != ".toml")
    throw InputError(path + ": unknown spec format '" + ext + "', expected a .yaml, .yml or .toml file");
  if (ext == ".toml" && !toml_supported()) parse_toml("", path, limits);  // throws the explanation
  const std::string text = read_spec_text(path, limits);
  if (const auto bad = first_invalid_utf8(text)) {
    const TextPosition at = position_of(text, *bad);
    throw SpecError(Mark{path, at.line, at.column}, "",
                    invalid_utf8_at(text, *bad) + ", expected the spec to be UTF-8 text");
  }
  SpecNode root = ext == ".toml" ? parse_toml(text, path, limits) : parse_yaml(text, path, limits);
  if (root.is_null()) throw SpecError(Mark{path, 1, 1}, "", "the spec is empty, expected a mapping of keys");
  if (!root.is_map())
    throw SpecError(root.mark(), "", "expected a mapping of keys at the top, found " +
                                         SpecNode::kind_name(root.kind()));
  return root;
}

}  // namespace torchsweep
