#include "spec/override_parser.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "spec/spec.h"

namespace torchsweep {

Mark override_mark(const std::string& text, int column) { return Mark{"override '" + text + "'", 1, column}; }

namespace {

bool is_key_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '/'; }
bool is_name_char(unsigned char c) { return std::isalnum(c) || c == '_'; }

/// Characters Hydra allows in unquoted text besides letters, digits, `_`, spaces and
/// escapes (and `:` outside a dict's keys).
bool is_plain_symbol(char c) {
  switch (c) {
    case '/': case '-': case '\\': case '+': case '.': case '$': case '%': case '*': case '@': case '?': case '|':
      return true;
    default:
      return false;
  }
}

/// Characters that `\` escapes in unquoted text.
bool is_escapable(char c) {
  switch (c) {
    case '\\': case '(': case ')': case '[': case ']': case '{': case '}': case ':': case '=': case ',': case ' ':
    case '\t':
      return true;
    default:
      return false;
  }
}

// Hydra's numbers: underscores between digits, no leading zeros, inf and nan.
const std::regex& int_pattern() {
  static const std::regex re(R"([+-]?(0|[1-9](_?[0-9])*))");
  return re;
}
const std::regex& float_pattern() {
  static const std::regex re(
      R"([+-]?((([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.)([eE][+-]?[0-9](_?[0-9])*)?|[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*|inf|nan))",
      std::regex::icase);
  return re;
}

std::string without_underscores(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  return text;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Override parse() {
    Override o;
    o.text = text_;
    if (text_.rfind("++", 0) == 0) {
      o.op = Override::Op::ForceSet;
      pos_ = 2;
    } else if (text_.rfind('+', 0) == 0) {
      o.op = Override::Op::Add;
      pos_ = 1;
    } else if (text_.rfind('~', 0) == 0) {
      o.op = Override::Op::Remove;
      pos_ = 1;
    }
    o.key_column = column(pos_);
    parse_key(o);
    if (at_end()) {
      if (o.op != Override::Op::Remove) fail(0, "expected key=value, +key=value, ++key=value or ~key, found no '='");
      return o;
    }
    key_ = o.key;
    ++pos_;  // '='
    if (o.op == Override::Op::Remove && at_end()) return o;
    o.has_value = true;
    parse_value(o);
    return o;
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
  std::string key_;

  int column(size_t at) const { return position_of(text_, std::min(at, text_.size())).column; }
  Mark mark_at(size_t at) const { return override_mark(text_, column(at)); }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_spaces() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }

  [[noreturn]] void fail(size_t at, const std::string& what) const { throw SpecError(mark_at(at), key_, what); }

  /// The character at `at` as a message shows it: 'x', or "the end".
  std::string shown(size_t at) const {
    if (at >= text_.size()) return "the end";
    size_t end = at + 1;
    while (end < text_.size() && (static_cast<unsigned char>(text_[end]) & 0xC0) == 0x80) ++end;
    return "'" + text_.substr(at, end - at) + "'";
  }

  void parse_key(Override& o) {
    const size_t start = pos_;
    std::vector<std::string> parts;
    while (true) {
      if (peek() == '"' || peek() == '\'') {
        const size_t quote_at = pos_;
        parts.push_back(quoted());
        if (parts.back().empty()) fail(quote_at, "expected a key part inside the quotes, found none");
      } else {
        const size_t part_start = pos_;
        while (!at_end() && is_key_char(static_cast<unsigned char>(peek()))) ++pos_;
        if (pos_ == part_start)
          fail(pos_, "expected a dotted key such as optimizer.lr, found " + shown(pos_) +
                         (parts.empty() ? "" : " after '" + text_.substr(start, pos_ - start) + "'"));
        parts.push_back(text_.substr(part_start, pos_ - part_start));
      }
      if (peek() != '.') break;
      ++pos_;
    }
    o.key = text_.substr(start, pos_ - start);
    if (!at_end() && peek() != '=') {
      key_ = o.key;
      fail(pos_, "unexpected " + shown(pos_) + " in the key, expected '=' or a '.' and another part" +
                     (peek() == ' ' ? " (no spaces around '=')" : ""));
    }
    // sweep.parameters keys are dotted themselves: the rest of the key is one name.
    if (parts.size() > 3 && parts[0] == "sweep" && parts[1] == "parameters") {
      std::string rest = parts[2];
      for (size_t i = 3; i < parts.size(); ++i) rest += "." + parts[i];
      parts.resize(2);
      parts.push_back(rest);
    }
    o.path = std::move(parts);
  }

  /// A quoted string at pos_. Backslashes escape only the quote and the backslashes
  /// right before it (Hydra's rule), so 'C:\temp' and "a\b" keep theirs.
  std::string quoted() {
    const size_t open = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == '\\') {
        size_t run = 0;
        while (pos_ + run < text_.size() && text_[pos_ + run] == '\\') ++run;
        const bool before_quote = pos_ + run < text_.size() && text_[pos_ + run] == quote;
        if (!before_quote) {
          out.append(run, '\\');
          pos_ += run;
          continue;
        }
        out.append(run / 2, '\\');
        pos_ += run;
        if (run % 2 == 1) {  // an escaped quote
          out += quote;
          ++pos_;
        }
        continue;
      }
      if (c == quote) {
        ++pos_;
        return out;
      }
      out += c;
      ++pos_;
    }
    fail(open, std::string("this quote is never closed, expected a closing ") + quote);
  }

  void parse_value(Override& o) {
    const size_t start = pos_;
    skip_spaces();
    if (at_end()) {  // key= is the empty string, as in Hydra
      o.value = SpecNode::string("", mark_at(start));
      return;
    }
    if (const auto name = function_name()) {
      o.value = function(*name, o.shape);
    } else {
      SpecNode first = element(false);
      skip_spaces();
      if (peek() == ',') {  // a, b, c: a sweep
        o.shape = Override::Shape::Sweep;
        SpecNode list = SpecNode::list(first.mark());
        list.push_back(std::move(first));
        while (peek() == ',') {
          ++pos_;
          list.push_back(element(false));
          skip_spaces();
        }
        o.value = std::move(list);
      } else {
        o.value = std::move(first);
      }
    }
    skip_spaces();
    if (!at_end())
      fail(pos_, "unexpected " + shown(pos_) + " after the value; quote the whole value ('...') if it is text" +
                     (peek() == '#' ? " (there are no comments in overrides)" : ""));
  }

  /// The name of a function call starting at pos_ (a name and '('), if there is one.
  std::optional<std::string> function_name() const {
    size_t end = pos_;
    while (end < text_.size() && is_name_char(static_cast<unsigned char>(text_[end]))) ++end;
    if (end == pos_ || end >= text_.size() || text_[end] != '(') return std::nullopt;
    return text_.substr(pos_, end - pos_);
  }

  struct Argument {
    std::string name;  ///< "" when given by position
    SpecNode value;
    size_t at = 0;
    /// Set when the argument is itself a function call: what that call gave.
    std::optional<Override::Shape> call;
    std::string call_name;
  };

  std::vector<Argument> arguments(const std::string& function) {
    pos_ += function.size() + 1;  // name and '('
    std::vector<Argument> args;
    skip_spaces();
    if (peek() == ')') {
      ++pos_;
      return args;
    }
    while (true) {
      skip_spaces();
      Argument arg;
      arg.at = pos_;
      size_t end = pos_;
      while (end < text_.size() && is_name_char(static_cast<unsigned char>(text_[end]))) ++end;
      if (end > pos_ && end < text_.size() && text_[end] == '=') {
        arg.name = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
      }
      if (const auto inner = function_name()) {
        // Only the functions that take a sweep take a call: tag(log, interval(...)),
        // sort(range(...)), str(choice(...)) and the other casts.
        if (function == "range" || function == "choice" || function == "interval")
          fail(pos_, *inner + "(...) cannot be used inside " + function + "(...)");
        Override::Shape shape = Override::Shape::Value;
        arg.value = this->function(*inner, shape);
        arg.call = shape;
        arg.call_name = *inner;
      } else {
        arg.value = element(false);
      }
      args.push_back(std::move(arg));
      skip_spaces();
      if (peek() == ')') {
        ++pos_;
        return args;
      }
      if (peek() != ',') fail(pos_, "expected ',' or ')' in " + function + "(...), found " + shown(pos_));
      ++pos_;
    }
  }

  double number_argument(const Argument& arg, const std::string& function) const {
    if (!arg.value.is_number())
      fail(arg.at, function + "(...) expects numbers, got " + arg.value.describe());
    if (!std::isfinite(arg.value.as_double()))
      fail(arg.at, function + "(...) expects finite numbers, got " + arg.value.describe());
    return arg.value.as_double();
  }

  /// Arguments by position or by name, in the order `names` gives.
  std::vector<const Argument*> bind(const std::vector<Argument>& args, const std::vector<std::string>& names,
                                    size_t required, const std::string& function, size_t at) const {
    std::vector<const Argument*> bound(names.size(), nullptr);
    size_t next = 0;
    for (const auto& arg : args) {
      size_t slot = next;
      if (!arg.name.empty()) {
        slot = static_cast<size_t>(std::find(names.begin(), names.end(), arg.name) - names.begin());
        if (slot == names.size())
          fail(arg.at, function + "(...) has no argument '" + arg.name + "', expected " + join_names(names));
      } else if (next >= names.size()) {
        fail(arg.at, function + "(...) takes at most " + std::to_string(names.size()) + " arguments (" +
                         join_names(names) + ")");
      }
      if (bound[slot]) fail(arg.at, function + "(...): '" + names[slot] + "' is given twice");
      bound[slot] = &arg;
      next = slot + 1;
    }
    for (size_t i = 0; i < required; ++i)
      if (!bound[i]) fail(at, function + "(...) needs " + join_names({names.begin(), names.begin() + required}));
    return bound;
  }

  static std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  SpecNode function(const std::string& name, Override::Shape& shape) {
    const size_t at = pos_;
    const Mark mark = mark_at(at);
    static const std::vector<std::string> known = {"range", "choice", "interval", "tag", "sort",
                                                   "str", "int", "float", "bool"};
    if (std::find(known.begin(), known.end(), name) == known.end())
      fail(at, "unknown function '" + name + "', expected one of " + join_names(known) +
                   " (quote the value if it is text)");
    const std::vector<Argument> args = arguments(name);
    if (name == "sort") return sort(args, shape, at, mark);
    if (name == "str" || name == "int" || name == "float" || name == "bool") return cast_call(name, args, shape, at, mark);
    if (name == "choice") {
      if (args.empty()) fail(at, "choice(...) needs at least one value");
      shape = Override::Shape::Sweep;
      SpecNode list = SpecNode::list(mark);
      for (const auto& arg : args) {
        if (!arg.name.empty()) fail(arg.at, "choice(...) takes values, not named arguments");
        list.push_back(arg.value);
      }
      return list;
    }
    if (name == "range") {
      shape = Override::Shape::Sweep;
      // range(stop) or range(start, stop[, step]), as Python's, with floats allowed.
      const auto bound_args = args.size() == 1 && args[0].name.empty()
                                  ? std::vector<const Argument*>{nullptr, &args[0], nullptr}
                                  : bind(args, {"start", "stop", "step"}, 2, name, at);
      const bool all_int = std::all_of(bound_args.begin(), bound_args.end(), [](const Argument* a) {
        return !a || a->value.kind() == SpecNode::Kind::Int;
      });
      const double start = bound_args[0] ? number_argument(*bound_args[0], name) : 0.0;
      const double stop = number_argument(*bound_args[1], name);
      const double step = bound_args[2] ? number_argument(*bound_args[2], name) : 1.0;
      if (step == 0) fail(bound_args[2]->at, "range(...) needs a step other than 0");
      const double count = std::ceil((stop - start) / step);
      if (!(count >= 1)) fail(at, "range(...) is empty: no value from " + bound_args[1]->value.describe() + " on");
      if (count > static_cast<double>(kMaxRunsPerSweep))
        fail(at, "range(...) has " + std::to_string(static_cast<long long>(count)) + " values, expected at most " +
                     std::to_string(kMaxRunsPerSweep));
      SpecNode list = SpecNode::list(mark);
      for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
        if (all_int)
          list.push_back(SpecNode::integer(static_cast<int64_t>(start) + i * static_cast<int64_t>(step), mark));
        else
          list.push_back(SpecNode::floating(start + static_cast<double>(i) * step, mark));
      }
      return list;
    }
    shape = Override::Shape::Distribution;
    if (name == "interval") {
      const auto bound_args = bind(args, {"start", "end"}, 2, name, at);
      const double low = number_argument(*bound_args[0], name), high = number_argument(*bound_args[1], name);
      if (!(high > low)) fail(bound_args[1]->at, "interval(lo, hi) needs hi > lo, got " + bound_args[1]->value.describe());
      return distribution("uniform", low, high, mark);
    }
    // tag(t1, ..., interval(lo, hi)): only the tag `log` changes anything.
    if (args.empty() || args.back().call_name != "interval")
      fail(at, "tag(...) applies to interval(lo, hi): write tag(log, interval(lo, hi))");
    bool log = false;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      const auto& tag = args[i].value;
      if (tag.kind() != SpecNode::Kind::String || tag.as_string() != "log")
        fail(args[i].at, "unknown tag " + tag.describe() + ", expected log (log-uniform draws)");
      log = true;
    }
    SpecNode drawn = args.back().value;
    if (log) {
      if (drawn.find("low")->as_double() <= 0)
        fail(args.back().at, "tag(log, interval(lo, hi)) needs lo > 0, got " + drawn.find("low")->describe());
      drawn.set("distribution", SpecNode::string("log_uniform", mark), mark);
    }
    drawn.set_mark(mark);
    return drawn;
  }

  /// sort(a, b, c), sort([list]), sort(choice(...)) or sort(range(...)), with reverse=true.
  SpecNode sort(const std::vector<Argument>& args, Override::Shape& shape, size_t at, const Mark& mark) const {
    bool reverse = false;
    std::vector<SpecNode> items;
    bool sweep = true;
    for (const auto& arg : args) {
      if (arg.name == "reverse") {
        if (arg.value.kind() != SpecNode::Kind::Bool) fail(arg.at, "sort(...): reverse is true or false, got " + arg.value.describe());
        reverse = arg.value.as_bool();
      } else if (!arg.name.empty()) {
        fail(arg.at, "sort(...) has no argument '" + arg.name + "', expected values and reverse");
      } else if (arg.call) {
        if (*arg.call != Override::Shape::Sweep) fail(arg.at, "sort(...) sorts a sweep or a list, not " + arg.call_name + "(...)");
        items.insert(items.end(), arg.value.items().begin(), arg.value.items().end());
      } else if (args.size() == 1 && arg.value.is_list()) {
        items = arg.value.items();
        sweep = false;  // sort([3,1,2]) is the list [1,2,3], a value
      } else {
        items.push_back(arg.value);
      }
    }
    if (items.empty()) fail(at, "sort(...) needs values to sort");
    const bool numbers = std::all_of(items.begin(), items.end(), [](const SpecNode& v) { return v.is_number(); });
    const bool strings =
        std::all_of(items.begin(), items.end(), [](const SpecNode& v) { return v.kind() == SpecNode::Kind::String; });
    if (!numbers && !strings) fail(at, "sort(...) sorts numbers or strings, not a mix or other values");
    std::stable_sort(items.begin(), items.end(), [&](const SpecNode& a, const SpecNode& b) {
      const bool less = numbers ? a.as_double() < b.as_double() : a.as_string() < b.as_string();
      const bool more = numbers ? b.as_double() < a.as_double() : b.as_string() < a.as_string();
      return reverse ? more : less;
    });
    shape = sweep ? Override::Shape::Sweep : Override::Shape::Value;
    SpecNode list = SpecNode::list(mark);
    for (auto& item : items) list.push_back(std::move(item));
    return list;
  }

  /// str(x), int(x), float(x), bool(x): of a value (lists and dicts element by element)
  /// or of each value of a sweep.
  SpecNode cast_call(const std::string& type, const std::vector<Argument>& args, Override::Shape& shape, size_t at,
                     const Mark& mark) const {
    if (args.empty()) fail(at, type + "(...) needs a value");
    if (args.size() > 1 || args[0].call) {  // a sweep: str(1, 2) or str(choice(1, 2))
      if (args[0].call && *args[0].call != Override::Shape::Sweep)
        fail(args[0].at, type + "(...) casts values or a sweep, not " + args[0].call_name + "(...)");
      shape = Override::Shape::Sweep;
      SpecNode list = SpecNode::list(mark);
      for (const auto& arg : args)
        for (const auto& v : arg.call ? arg.value.items() : std::vector<SpecNode>{arg.value})
          list.push_back(cast(type, v, arg.at));
      return list;
    }
    return cast(type, args[0].value, args[0].at);
  }

  SpecNode cast(const std::string& type, const SpecNode& v, size_t at) const {
    const Mark& mark = v.mark();
    if (v.is_list()) {
      SpecNode list = SpecNode::list(mark);
      for (const auto& item : v.items()) list.push_back(cast(type, item, at));
      return list;
    }
    if (v.is_map()) {
      SpecNode map = SpecNode::map(mark);
      for (const auto& e : v.entries()) map.set(e.key, cast(type, e.value, at), e.key_mark);
      return map;
    }
    auto refuse = [&]() -> SpecNode { fail(at, "cannot cast " + v.describe() + " to " + type); };
    if (type == "str") {
      switch (v.kind()) {
        case SpecNode::Kind::String: return v;
        case SpecNode::Kind::Int: return SpecNode::string(std::to_string(v.as_int()), mark);
        case SpecNode::Kind::Float: return SpecNode::string(nlohmann::json(v.as_double()).dump(), mark);
        case SpecNode::Kind::Bool: return SpecNode::string(v.as_bool() ? "true" : "false", mark);
        default: return refuse();
      }
    }
    // The other casts read a string as the grammar reads unquoted text.
    SpecNode parsed = v;
    if (v.kind() == SpecNode::Kind::String) parsed = Parser(v.as_string()).primitive_only(mark);
    if (type == "int") {
      if (parsed.kind() == SpecNode::Kind::Int) return parsed;
      if (parsed.kind() == SpecNode::Kind::Float && std::isfinite(parsed.as_double()) &&
          std::fabs(parsed.as_double()) < 9.2e18)
        return SpecNode::integer(static_cast<int64_t>(parsed.as_double()), mark);
      if (parsed.kind() == SpecNode::Kind::Bool) return SpecNode::integer(parsed.as_bool() ? 1 : 0, mark);
      return refuse();
    }
    if (type == "float") {
      if (parsed.is_number()) return SpecNode::floating(parsed.as_double(), mark);
      if (parsed.kind() == SpecNode::Kind::Bool) return SpecNode::floating(parsed.as_bool() ? 1.0 : 0.0, mark);
      return refuse();
    }
    if (parsed.kind() == SpecNode::Kind::Bool) return parsed;  // bool
    if (parsed.is_number()) return SpecNode::boolean(parsed.as_double() != 0, mark);
    return refuse();
  }

 public:
  /// The text as one unquoted primitive (for casts of strings).
  SpecNode primitive_only(const Mark& mark) {
    try {
      SpecNode v = unquoted(false, mark);
      if (at_end()) return v;
    } catch (const SpecError&) {  // not a primitive: it stays the string it is
    }
    return SpecNode::string(text_, mark);
  }

 private:
  static SpecNode distribution(const std::string& kind, double low, double high, const Mark& mark) {
    SpecNode node = SpecNode::map(mark);
    node.set("distribution", SpecNode::string(kind, mark), mark);
    node.set("low", SpecNode::floating(low, mark), mark);
    node.set("high", SpecNode::floating(high, mark), mark);
    return node;
  }

  /// One element: a list, a dict, a quoted string or unquoted text. `in_dict_key`: the
  /// text ends at ':'.
  SpecNode element(bool in_dict_key) {
    skip_spaces();
    const size_t start = pos_;
    const Mark mark = mark_at(start);
    if (peek() == '[') {
      ++pos_;
      SpecNode list = SpecNode::list(mark);
      skip_spaces();
      if (peek() == ']') {
        ++pos_;
        return list;
      }
      while (true) {
        if (function_name()) fail(pos_, "sweep functions such as " + *function_name() + "(...) go at the top of a value, not inside a list");
        list.push_back(element(false));
        skip_spaces();
        if (peek() == ']') {
          ++pos_;
          return list;
        }
        if (peek() != ',') fail(pos_, "expected ',' or ']' in the list, found " + shown(pos_));
        ++pos_;
      }
    }
    if (peek() == '{') {
      ++pos_;
      SpecNode map = SpecNode::map(mark);
      skip_spaces();
      if (peek() == '}') {
        ++pos_;
        return map;
      }
      while (true) {
        skip_spaces();
        const size_t key_at = pos_;
        const SpecNode key = element(true);
        if (key.is_list() || key.is_map() || key.is_null())
          fail(key_at, "expected a key before ':' in the dict, found " + key.describe());
        const std::string key_text = key.kind() == SpecNode::Kind::String ? key.as_string() : key.describe();
        skip_spaces();
        if (peek() != ':') fail(pos_, "expected ':' after the dict key '" + key_text + "', found " + shown(pos_));
        ++pos_;
        if (map.find(key_text)) fail(key_at, "the dict gives '" + key_text + "' twice");
        map.set(key_text, element(false), mark_at(key_at));
        skip_spaces();
        if (peek() == '}') {
          ++pos_;
          return map;
        }
        if (peek() != ',') fail(pos_, "expected ',' or '}' in the dict, found " + shown(pos_));
        ++pos_;
      }
    }
    if (peek() == '"' || peek() == '\'') return SpecNode::string(quoted(), mark);
    return unquoted(in_dict_key, mark);
  }

  SpecNode unquoted(bool in_dict_key, const Mark& mark) {
    const size_t start = pos_;
    std::string raw, text;  // as written; with escapes undone
    bool escaped = false;
    while (!at_end()) {
      const char c = peek();
      const auto u = static_cast<unsigned char>(c);
      if (c == ',' || c == ']' || c == '}' || c == ')' || (in_dict_key && c == ':')) break;
      if (c == '\\' && pos_ + 1 < text_.size() && is_escapable(text_[pos_ + 1])) {
        text += text_[pos_ + 1];
        raw += text_.substr(pos_, 2);
        pos_ += 2;
        escaped = true;
        continue;
      }
      if (c == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{')
        fail(pos_, "interpolations ${...} are not supported in overrides");
      if (!(std::isalnum(u) || u >= 0x80 || c == '_' || c == ' ' || c == '\t' || c == ':' || is_plain_symbol(c))) {
        if (pos_ == start) break;  // nothing here: the caller says what it expected
        fail(pos_, "unexpected " + shown(pos_) + " in the value; quote the value ('...') to use it in text" +
                       (c == '=' || c == '(' || c == ')' ? " or escape it with a backslash" : "") +
                       (c == '#' ? " (there are no comments in overrides)" : ""));
      }
      raw += c;
      text += c;
      ++pos_;
    }
    // Leading spaces were skipped; trailing ones are not part of the value.
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t') &&
           !(raw.size() >= 2 && raw[raw.size() - 2] == '\\')) {
      raw.pop_back();
      text.pop_back();
    }
    if (raw.empty()) fail(start, "expected a value, found " + shown(start));
    if (escaped) return SpecNode::string(text, mark);
    if (std::regex_match(raw, int_pattern())) {
      const std::string digits = without_underscores(raw);
      errno = 0;
      const long long value = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE) fail(start, "the integer " + raw + " does not fit in 64 bits");
      return SpecNode::integer(value, mark);
    }
    if (std::regex_match(raw, float_pattern())) return SpecNode::floating(std::strtod(without_underscores(raw).c_str(), nullptr), mark);
    const std::string word = ascii_lower(raw);
    if (word == "true") return SpecNode::boolean(true, mark);
    if (word == "false") return SpecNode::boolean(false, mark);
    if (word == "null") return SpecNode::null(mark);
    return SpecNode::string(text, mark);
  }
};

}  // namespace

Override parse_override(const std::string& text) {
  if (const auto bad = first_invalid_utf8(text)) {
    throw SpecError(override_mark(escape_invalid_utf8(text), position_of(text, *bad).column), "",
                    invalid_utf8_at(text, *bad) + ", expected UTF-8 text");
  }
  return Parser(text).parse();
}

}  // namespace torchsweep
