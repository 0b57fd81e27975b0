#include "spec/override_parser.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_set>

#include "base/utf8.h"
#include "spec/override_functions.h"

namespace torchsweep {

namespace {

/// Text for a message that stays one line: control characters escaped as describe()
/// escapes them.
std::string one_line(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + "0123456789abcdef"[c >> 4] + "0123456789abcdef"[c & 15];
    else out += ch;
  }
  return out;
}

/// "override 'TEXT'" with TEXT cut to kShownOverrideCharacters and made one printable
/// line. Every value of an override carries it in its mark, so it is made once per
/// override, and its size does not grow with the override's.
std::string override_origin(const std::string& text) {
  // Escaping only what can be shown: 4 bytes hold at least one character.
  const size_t bytes = std::min(text.size(), 4 * kShownOverrideCharacters + 4);
  std::string shown = escape_invalid_utf8(text.substr(0, bytes));
  const bool cut = bytes < text.size() || character_count(shown) > kShownOverrideCharacters;
  if (cut) shown = first_characters(shown, kShownOverrideCharacters - 3);
  return "override '" + one_line(shown) + (cut ? "...'" : "'");
}

}  // namespace

Mark override_mark(const std::string& text, int column) { return Mark{override_origin(text), 1, column}; }

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

// Hydra's numbers: underscores between digits, no leading zeros, inf and nan. Its
// grammar's regular expressions, matched by hand: std::regex recurses once per
// character and runs out of stack on a long number.
constexpr size_t kNoMatch = std::string::npos;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// The end of [0-9](_?[0-9])* starting at `i`, or kNoMatch.
size_t digits_end(const std::string& s, size_t i) {
  if (i >= s.size() || !is_digit(s[i])) return kNoMatch;
  ++i;
  while (i < s.size()) {
    if (is_digit(s[i])) ++i;
    else if (s[i] == '_' && i + 1 < s.size() && is_digit(s[i + 1])) i += 2;
    else break;
  }
  return i;
}

size_t after_sign(const std::string& s) { return !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0; }

/// [+-]?(0|[1-9](_?[0-9])*)
bool is_int_text(const std::string& s) {
  const size_t i = after_sign(s);
  const size_t end = digits_end(s, i);
  return end == s.size() && (s[i] != '0' || end == i + 1);
}

/// [+-]?((D?\.D|D\.)([eE][+-]?D)?|D[eE][+-]?D|inf|nan), case-insensitive, D the digits above.
bool is_float_text(const std::string& s) {
  size_t i = after_sign(s);
  if (s.size() - i == 3) {
    const std::string word = ascii_lower(s.substr(i));
    if (word == "inf" || word == "nan") return true;
  }
  size_t end = digits_end(s, i);
  const bool whole = end != kNoMatch;
  if (!whole) end = i;
  bool point = false, exponent = false;
  if (end < s.size() && s[end] == '.') {
    const size_t fraction = digits_end(s, end + 1);
    if (fraction == kNoMatch && !whole) return false;
    end = fraction == kNoMatch ? end + 1 : fraction;
    point = true;
  } else if (!whole) {
    return false;
  }
  if (end < s.size() && (s[end] == 'e' || s[end] == 'E')) {
    size_t digits = end + 1;
    if (digits < s.size() && (s[digits] == '+' || s[digits] == '-')) ++digits;
    end = digits_end(s, digits);
    if (end == kNoMatch) return false;
    exponent = true;
  }
  return (point || exponent) && end == s.size();
}

/// The text of a number for a message: long ones cut in the middle.
std::string shown_number(const std::string& raw) {
  if (raw.size() <= 40) return raw;
  return raw.substr(0, 20) + "..." + raw.substr(raw.size() - 10) + " (" + std::to_string(raw.size()) + " characters)";
}

std::string without_underscores(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  return text;
}

class Parser {
 public:
  Parser(const std::string& text, const SpecLimits& limits)
      : text_(text), limits_(limits), origin_(override_origin(text)) {}

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
    depth_ = static_cast<int>(o.path.size());  // a value sits as deep as its key has parts
    if (at_end()) {
      if (o.op != Override::Op::Remove) fail(0, "expected key=value, +key=value, ++key=value or ~key, found no '='");
      return o;
    }
    key_ = one_line(o.key);
    ++pos_;  // '='
    if (o.op == Override::Op::Remove && at_end()) return o;
    o.has_value = true;
    parse_value(o);
    return o;
  }

 private:
  const std::string& text_;
  const SpecLimits& limits_;
  const std::string origin_;  ///< override_origin(text_), shared by every mark
  size_t pos_ = 0;
  std::string key_;
  /// How deep the value being read sits in the spec tree (see Nesting).
  int depth_ = 0;
  /// The last column asked for, so that the next one is counted on from there: marks
  /// are asked for left to right, and each costs what lies between.
  mutable size_t counted_to_ = 0;
  mutable int counted_column_ = 1;

  /// position_of(text_, at).column, counted on from the previous call when it lies before.
  int column(size_t at) const {
    at = std::min(at, text_.size());
    if (at < counted_to_) {
      counted_to_ = 0;
      counted_column_ = 1;
    }
    for (; counted_to_ < at; ++counted_to_) {
      const char c = text_[counted_to_];
      if (c == '\n') counted_column_ = 1;
      else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++counted_column_;
    }
    return counted_column_;
  }
  Mark mark_at(size_t at) const { return Mark{origin_, 1, column(at)}; }

  /// One level deeper for what is read while it lives: a list's or dict's items, a
  /// call's arguments. Each element and call checks its depth before it recurses.
  class Nesting {
   public:
    explicit Nesting(Parser& parser) : parser_(parser) { ++parser_.depth_; }
    ~Nesting() { --parser_.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& parser_;
  };

  /// Refuses what starts at `at` when it sits deeper than limits_.max_depth (as a spec
  /// file's values do: the top-level keys' values are at depth 1).
  void check_depth(size_t at) const {
    if (depth_ > limits_.max_depth) too_deep(at);
  }
  [[noreturn]] void too_deep(size_t at) const {
    fail(at, "nesting deeper than " + std::to_string(limits_.max_depth) +
                 " levels (the key's parts, lists, dicts and function calls), expected a flatter value");
  }
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
    return "'" + one_line(text_.substr(at, end - at)) + "'";
  }

  void parse_key(Override& o) {
    const size_t start = pos_;
    std::vector<std::string> parts;
    std::vector<size_t> part_starts;
    while (true) {
      part_starts.push_back(pos_);
      if (peek() == '"' || peek() == '\'') {
        const size_t quote_at = pos_;
        parts.push_back(quoted());
        if (parts.back().empty()) fail(quote_at, "expected a key part inside the quotes, found none");
      } else {
        const size_t part_start = pos_;
        while (!at_end() && is_key_char(static_cast<unsigned char>(peek()))) ++pos_;
        if (pos_ == part_start)
          fail(pos_, "expected a dotted key such as optimizer.lr, found " + shown(pos_) +
                         (parts.empty() ? "" : " after '" + one_line(text_.substr(start, pos_ - start)) + "'"));
        parts.push_back(text_.substr(part_start, pos_ - part_start));
      }
      if (peek() != '.') break;
      ++pos_;
    }
    o.key = text_.substr(start, pos_ - start);
    if (!at_end() && peek() != '=') {
      key_ = one_line(o.key);
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
    if (parts.size() > static_cast<size_t>(limits_.max_depth)) {
      key_ = one_line(o.key);
      too_deep(part_starts[static_cast<size_t>(limits_.max_depth)]);
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
      FunctionResult result = function(*name);
      o.value = std::move(result.value);
      o.shape = result.shape;
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

  /// A call at pos_: its arguments read by the grammar, applied by the function library.
  FunctionResult function(const std::string& name) {
    FunctionCall call;
    call.name = name;
    const size_t at = pos_;
    call.mark = mark_at(at);
    call.key = key_;
    const auto& known = override_functions();
    if (std::find(known.begin(), known.end(), name) == known.end()) return call_override_function(call);  // refuses it
    pos_ += name.size() + 1;  // name and '('
    check_depth(at);
    const Nesting nesting(*this);
    skip_spaces();
    if (peek() == ')') {
      ++pos_;
      return call_override_function(call);
    }
    while (true) {
      skip_spaces();
      FunctionArgument arg;
      const size_t arg_at = pos_;
      arg.mark = mark_at(arg_at);
      size_t end = pos_;
      while (end < text_.size() && is_name_char(static_cast<unsigned char>(text_[end]))) ++end;
      if (end > pos_ && end < text_.size() && text_[end] == '=') {
        arg.name = text_.substr(pos_, end - pos_);
        pos_ = end + 1;
      }
      if (const auto inner = function_name()) {
        // Only the functions that take a sweep take a call: tag(log, interval(...)),
        // sort(range(...)), str(choice(...)) and the other casts.
        if (!takes_calls(name)) fail(pos_, *inner + "(...) cannot be used inside " + name + "(...)");
        FunctionResult result = function(*inner);
        arg.value = std::move(result.value);
        arg.call = result.shape;
        arg.call_name = *inner;
      } else {
        arg.value = element(false);
      }
      call.args.push_back(std::move(arg));
      skip_spaces();
      if (peek() == ')') {
        ++pos_;
        return call_override_function(call);
      }
      if (peek() != ',') fail(pos_, "expected ',' or ')' in " + name + "(...), found " + shown(pos_));
      ++pos_;
    }
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
  /// One element: a list, a dict, a quoted string or unquoted text. `in_dict_key`: the
  /// text ends at ':'.
  SpecNode element(bool in_dict_key) {
    skip_spaces();
    const size_t start = pos_;
    check_depth(start);
    const Mark mark = mark_at(start);
    if (peek() == '[') {
      ++pos_;
      const Nesting nesting(*this);
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
      const Nesting nesting(*this);
      SpecNode map = SpecNode::map(mark);
      std::unordered_set<std::string> keys;  // SpecNode::find would look through them all, each time
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
        if (peek() != ':') fail(pos_, "expected ':' after the dict key '" + one_line(key_text) + "', found " + shown(pos_));
        ++pos_;
        if (!keys.insert(key_text).second) fail(key_at, "the dict gives '" + one_line(key_text) + "' twice");
        Mark key_mark = key.mark();  // mark_at(key_at) would count the columns again from the start
        map.entries().push_back({key_text, std::move(key_mark), element(false)});
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
    if (is_int_text(raw)) {
      const std::string digits = without_underscores(raw);
      errno = 0;
      const long long value = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno == ERANGE)
        fail(start, "the integer " + shown_number(raw) + " is out of range, expected an integer from " +
                        std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                        std::to_string(std::numeric_limits<int64_t>::max()) + " (or a float, such as 1.8e19)");
      return SpecNode::integer(value, mark);
    }
    if (is_float_text(raw)) return SpecNode::floating(std::strtod(without_underscores(raw).c_str(), nullptr), mark);
    const std::string word = ascii_lower(raw);
    if (word == "true") return SpecNode::boolean(true, mark);
    if (word == "false") return SpecNode::boolean(false, mark);
    if (word == "null") return SpecNode::null(mark);
    return SpecNode::string(text, mark);
  }
};

}  // namespace

Override parse_override(const std::string& text, const SpecLimits& limits) {
  // As long as a spec file may be: a longer one is refused before it is read.
  if (text.size() > limits.max_file_bytes)
    throw SpecError(override_mark(text, position_of(text, limits.max_file_bytes).column), "",
                    "the override is " + std::to_string(text.size()) + " bytes long, expected at most " +
                        std::to_string(limits.max_file_bytes) + " (as a spec file)");
  if (const auto bad = first_invalid_utf8(text)) {
    throw SpecError(override_mark(text, position_of(text, *bad).column), "",
                    invalid_utf8_at(text, *bad) + ", expected UTF-8 text");
  }
  return Parser(text, limits).parse();
}

SpecNode parse_override_primitive(const std::string& text, const Mark& mark) {
  const SpecLimits limits;
  return Parser(text, limits).primitive_only(mark);
}

}  // namespace torchsweep
