#include "results/filter.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/utf8.h"

namespace torchsweep {

namespace {

struct Token {
  enum Kind { Name, Number, String, Op, LParen, RParen, Comma, End } kind;
  std::string text;
  size_t column;  ///< 1-based
};

/// Run columns a filter may name, and the SQL for each.
const std::map<std::string, std::string>& run_columns() {
  static const std::map<std::string, std::string> columns = {
      {"id", "r.id"},           {"run", "r.id"},
      {"sweep_id", "r.sweep_id"}, {"sweep", "(SELECT name FROM sweeps WHERE id = r.sweep_id)"},
      {"status", "r.status"},   {"seed", "r.seed"},
      {"device", "r.device"},   {"device_name", "r.device_name"},
      {"config_hash", "r.config_hash"}, {"host", "r.host"},
      {"steps", "r.steps"},     {"wall_seconds", "r.wall_seconds"},
      {"started_at", "r.started_at"}, {"ended_at", "r.ended_at"},
      {"error", "r.error"},     {"git_commit", "r.git_commit"},
      {"torch_version", "r.torch_version"}, {"torchsweep_version", "r.torchsweep_version"},
      {"engine", "r.engine"},   {"note", "r.note"},
      {"kind", "r.kind"},       {"memory_format", "r.memory_format"},
      {"tags", "(SELECT group_concat(tag, ',') FROM (SELECT tag FROM run_tags WHERE run_id = r.id ORDER BY tag))"},
  };
  return columns;
}

[[noreturn]] void fail(size_t column, const std::string& message) {
  throw InputError("--where: column " + std::to_string(column) + ": " + message);
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/' || c == '-';
  };
  while (i < s.size()) {
    const char c = s[i];
    const size_t column = i + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(') {
      out.push_back({Token::LParen, "(", column}), ++i;
    } else if (c == ')') {
      out.push_back({Token::RParen, ")", column}), ++i;
    } else if (c == ',') {
      out.push_back({Token::Comma, ",", column}), ++i;
    } else if (c == '\'' || c == '"') {
      std::string text;
      size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {  // doubled quote: a literal quote
            text += c;
            ++j;
            continue;
          }
          break;
        }
        text += s[j];
      }
      if (j >= s.size()) fail(column, "unterminated string");
      out.push_back({Token::String, text, column});
      i = j + 1;
    } else if (std::string("=!<>").find(c) != std::string::npos) {
      std::string op(1, c);
      if (i + 1 < s.size() && (s[i + 1] == '=' || (c == '<' && s[i + 1] == '>'))) op += s[i + 1];
      if (op == "!") fail(column, "expected != or a comparison, found '!'");
      out.push_back({Token::Op, op, column});
      i += op.size();
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t used = 0;
      try {
        std::stod(s.substr(i), &used);
      } catch (const std::exception&) {
        fail(column, "malformed number");
      }
      // A number glued to name characters (2abc) is a name, not a number.
      if (i + used < s.size() && is_name_char(s[i + used]) && s[i + used] != '.') {
        size_t j = i;
        while (j < s.size() && is_name_char(s[j])) ++j;
        out.push_back({Token::Name, s.substr(i, j - i), column});
        i = j;
      } else {
        out.push_back({Token::Number, s.substr(i, used), column});
        i += used;
      }
    } else if (is_name_char(c)) {
      size_t j = i;
      while (j < s.size() && is_name_char(s[j])) ++j;
      out.push_back({Token::Name, s.substr(i, j - i), column});
      i = j;
    } else {
      fail(column, std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Token::End, "", s.size() + 1});
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const FilterNames& names) : tokens_(std::move(tokens)), names_(names) {}

  SqlFilter parse() {
    SqlFilter f;
    int depth = 0;
    f.where = parse_or(f, depth);
    if (peek().kind != Token::End) fail(peek().column, "expected 'and', 'or' or the end, found '" + peek().text + "'");
    return f;
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  Token next() { return tokens_[pos_++]; }
  bool keyword(const std::string& word) const { return peek().kind == Token::Name && ascii_lower(peek().text) == word; }

  // A chain of terms is one flat SQL list, `(a OR b OR c)`, not `((a OR b) OR c)`.
  // SQLite's parser has a fixed stack (about 100 entries): each group of terms and each
  // `not` that nests in another takes some of it, so `depth` adds up what the SQL built
  // so far takes (kSqlGroupWeight for a group, kSqlNotWeight for a not), and a filter
  // past kMaxSqlNesting is refused here instead of failing in SQLite.
  std::string parse_or(SqlFilter& f, int& depth) { return parse_chain(f, depth, "or", &Parser::parse_and); }
  std::string parse_and(SqlFilter& f, int& depth) { return parse_chain(f, depth, "and", &Parser::parse_not); }
  /// Terms of the next tighter level joined by `word` (or, and).
  std::string parse_chain(SqlFilter& f, int& depth, const std::string& word,
                          std::string (Parser::*parse_term)(SqlFilter&, int&)) {
    std::string sql = (this->*parse_term)(f, depth);
    if (!keyword(word)) return sql;
    const size_t column = peek().column;
    const std::string joint = " " + ascii_upper(word) + " ";
    sql = "(" + sql;
    while (keyword(word)) {
      next();
      int operand = 0;
      sql += joint + (this->*parse_term)(f, operand);
      depth = std::max(depth, operand);
    }
    nest(depth, kSqlGroupWeight, column);
    return sql + ")";
  }
  std::string parse_not(SqlFilter& f, int& depth) {
    if (keyword("not")) {
      const size_t column = peek().column;
      const Nesting nested(*this, column);
      next();
      const std::string sql = "(NOT " + parse_not(f, depth) + ")";
      nest(depth, kSqlNotWeight, column);
      return sql;
    }
    return parse_primary(f, depth);
  }
  void nest(int& depth, int weight, size_t column) const {
    depth += weight;
    if (depth > kMaxSqlNesting)
      fail(column, "and, or and not nest here deeper than SQLite's parser takes; write the filter with fewer "
                   "levels, or ask `results sql`");
  }
  std::string parse_primary(SqlFilter& f, int& depth) {
    depth = 0;
    if (peek().kind == Token::LParen) {
      const Nesting nested(*this, peek().column);
      next();
      std::string sql = parse_or(f, depth);
      if (peek().kind != Token::RParen) fail(peek().column, "expected ')', found " + describe(peek()));
      next();
      return sql;
    }
    if (peek().kind != Token::Name || keyword("and") || keyword("or"))
      fail(peek().column, "expected a name such as optimizer.lr or status, found " + describe(peek()));
    const Token name = next();
    if (++comparisons_ > kMaxFilterComparisons)
      fail(name.column, "more than " + std::to_string(kMaxFilterComparisons) +
                            " comparisons; split the question, or use `results sql` for one this large");
    const std::string lhs = resolve(name, f);
    if (keyword("in") || keyword("not")) {
      const bool negated = keyword("not");
      if (negated) {
        next();
        if (!keyword("in")) fail(peek().column, "expected 'in' after 'not', found " + describe(peek()));
      }
      next();
      if (peek().kind != Token::LParen) fail(peek().column, "expected '(' after 'in', found " + describe(peek()));
      next();
      std::string list;
      while (true) {
        list += (list.empty() ? "?" : ", ?");
        f.binds.push_back(value(next_value("in (...)")));
        if (peek().kind == Token::Comma) {
          next();
          continue;
        }
        if (peek().kind != Token::RParen) fail(peek().column, "expected ',' or ')', found " + describe(peek()));
        next();
        break;
      }
      return "(" + lhs + (negated ? " NOT IN (" : " IN (") + list + "))";
    }
    if (keyword("like")) {
      next();
      const Token pattern = next_value("like");
      f.binds.emplace_back(pattern.text);
      return "(" + lhs + " LIKE ?)";
    }
    if (peek().kind != Token::Op)
      fail(peek().column, "expected a comparison (=, !=, <, <=, >, >=, in, like) after '" + name.text + "', found " +
                              describe(peek()));
    std::string op = next().text;
    if (op == "==") op = "=";
    if (op == "<>") op = "!=";
    f.binds.push_back(value(next_value("'" + op + "'")));
    return "(" + lhs + " " + op + " ?)";
  }

  Token next_value(const std::string& after) {
    const Token& t = peek();
    if (t.kind != Token::Number && t.kind != Token::String && t.kind != Token::Name)
      fail(t.column, "expected a value after " + after + ", found " + describe(t));
    return next();
  }

  static SqlValue value(const Token& t) {
    if (t.kind == Token::Number) {
      const std::string& s = t.text;
      if (s.find_first_of(".eE") == std::string::npos) {
        try {
          return static_cast<int64_t>(std::stoll(s));
        } catch (const std::out_of_range&) {
        }
      }
      return std::stod(s);
    }
    return t.text;
  }

  static std::string describe(const Token& t) { return t.kind == Token::End ? "the end" : "'" + t.text + "'"; }

  static bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  /// A name as a fixed SQL expression; its text goes in as a bound parameter.
  std::string resolve(const Token& name, SqlFilter& f) {
    const auto& columns = run_columns();
    auto it = columns.find(name.text);
    if (it != columns.end()) {
      if (std::find(f.columns.begin(), f.columns.end(), it->first) == f.columns.end()) f.columns.push_back(it->first);
      return it->second;
    }
    const auto dot = name.text.rfind('.');
    const bool checked = static_cast<bool>(names_.is_param);
    const bool is_param = checked && names_.is_param(name.text);
    if (dot != std::string::npos && !is_param) {
      const std::string stat = name.text.substr(dot + 1);
      const auto& stats = summary_stats();
      const std::string metric = name.text.substr(0, dot);
      const bool known = names_.is_metric && names_.is_metric(metric);
      // Unchecked (no parameter list), a name with a '/' is taken for a metric anyway.
      if (contains(stats, stat) && (known || (!checked && metric.find('/') != std::string::npos))) {
        f.binds.emplace_back(metric);
        return "(SELECT s." + stat + " FROM summaries s WHERE s.run_id = r.id AND s.key = ?)";
      }
      if (checked && known)  // test/acc.maxx
        fail(name.column, "'" + stat + "' is not a statistic of the metric '" + metric + "'" +
                              suggestion(stat, stats) + "; expected one of " + join(stats));
    }
    if (checked && !is_param) unknown_name(name);
    f.binds.emplace_back(name.text);
    return "(SELECT p.value FROM params p WHERE p.run_id = r.id AND p.key = ?)";
  }

  static std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
    for (const auto& candidate : candidates)  // STATUS for status
      if (ascii_lower(candidate) == ascii_lower(word)) return " (did you mean '" + candidate + "'?)";
    const std::string close = closest_match(word, candidates);
    return close.empty() ? "" : " (did you mean '" + close + "'?)";
  }

  /// Names no run column, metric summary or parameter of this database: most likely a typo.
  [[noreturn]] void unknown_name(const Token& name) const {
    const std::vector<std::string> params = names_.params ? names_.params() : std::vector<std::string>{};
    const std::vector<std::string> metrics = names_.metrics ? names_.metrics() : std::vector<std::string>{};
    std::vector<std::string> candidates = params;
    for (const auto& [column, sql] : run_columns()) candidates.push_back(column);
    for (const auto& metric : metrics)
      for (const auto& stat : summary_stats()) candidates.push_back(metric + "." + stat);
    fail(name.column, "unknown name '" + name.text + "'" + suggestion(name.text, candidates) +
                          "; expected a run column (status, seed, ...), a metric summary such as " +
                          (metrics.empty() ? std::string("train/loss") : metrics.front()) +
                          ".last, or a parameter of these runs (" + join(params) + ")");
  }

  /// One level of parentheses or `not`, bounded so that a deeply nested filter is an
  /// error rather than a stack overflow (here or in SQLite's parser).
  class Nesting {
   public:
    Nesting(Parser& parser, size_t column) : parser_(parser) {
      if (++parser_.depth_ > kMaxFilterDepth)
        fail(column, "nested more than " + std::to_string(kMaxFilterDepth) + " levels deep (parentheses and 'not')");
    }
    ~Nesting() { --parser_.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& parser_;
  };

  // What nesting takes of SQLite's parser stack (see parse_or), measured against
  // SQLite 3.40: 30 nested groups or 45 nots overflowed it.
  static constexpr int kSqlGroupWeight = 3;
  static constexpr int kSqlNotWeight = 2;
  static constexpr int kMaxSqlNesting = 80;

  std::vector<Token> tokens_;
  int depth_ = 0;
  int comparisons_ = 0;
  const FilterNames& names_;
  size_t pos_ = 0;
};

}  // namespace

const std::vector<std::string>& summary_stats() {
  static const std::vector<std::string> stats = {"first", "last", "min", "max", "mean_last_k",
                                                 "count", "step_min", "step_max", "last_step"};
  return stats;
}

SqlFilter parse_filter(const std::string& text, const std::vector<std::string>& metrics,
                       const std::vector<std::string>* params) {
  const auto contains = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  FilterNames names;
  names.is_metric = [&](const std::string& name) { return contains(metrics, name); };
  names.metrics = [&metrics] { return metrics; };
  if (params) {
    names.is_param = [&](const std::string& name) { return contains(*params, name); };
    names.params = [params] { return *params; };
  }
  return parse_filter(text, names);
}

SqlFilter parse_filter(const std::string& text, const FilterNames& names) {
  if (text.size() > kMaxFilterLength)
    throw InputError("--where: the filter is " + std::to_string(text.size()) + " characters long; at most " +
                     std::to_string(kMaxFilterLength) + " are taken");
  if (text.find_first_not_of(" \t\n") == std::string::npos) return {"1", {}, {}};
  return Parser(tokenize(text), names).parse();
}

}  // namespace torchsweep
