// `results list --where '...'`: a small filter language over runs, parsed into
// parameterised SQL. No text of the filter is ever pasted into the SQL: names are
// resolved to fixed column expressions, values are bound as parameters.
//
//   optimizer.lr >= 0.1 and (status = finished or model.name = s6_cnn) and test/acc.max > 0.9
//
// Names: a run column (id, status, seed, device, sweep, sweep_id, config_hash, host,
// steps, wall_seconds, kind, ...), a metric summary METRIC.STAT (STAT one of first, last,
// min, max, mean_last_k, count, step_min, step_max, last_step), or else a parameter
// key (optimizer.lr). Operators: = == != <> < <= > >=, in (a, b), not in (...),
// like 'pattern', and, or, not, parentheses. Values: numbers, 'quoted' or "quoted"
// strings, or bare words (finished, s6_cnn).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "results/sqlite.h"

namespace torchsweep {

/// Limits that keep a filter's SQL within what SQLite parses and plans quickly: the
/// filter's length, its nesting (parentheses and `not`) and its comparisons. Past
/// them, parse_filter fails with an InputError saying which.
constexpr size_t kMaxFilterLength = 10000;
constexpr int kMaxFilterDepth = 50;
constexpr int kMaxFilterComparisons = 200;

/// A filter as SQL over `runs r`: the condition and its bound values in order.
struct SqlFilter {
  std::string where;
  std::vector<SqlValue> binds;
  /// The run columns the filter names (status, kind, ...), each once: a query that
  /// leaves some runs out by default (compare: lr-find runs) keeps them when asked.
  std::vector<std::string> columns;
};

/// What a database knows of the names a filter may use. The parser asks about the
/// names the filter holds, one at a time (a database answers each by an index lookup,
/// however many metric keys its runs logged), and lists them all only to suggest a
/// correction for a name it does not know.
struct FilterNames {
  std::function<bool(const std::string&)> is_metric;  ///< a metric some run logged
  /// A parameter key some run has; empty: not checked, any other name is a parameter.
  std::function<bool(const std::string&)> is_param;
  std::function<std::vector<std::string>()> metrics;  ///< every metric name, sorted
  std::function<std::vector<std::string>()> params;   ///< every parameter key, sorted
};

/// Parses a filter. A name METRIC.STAT is a summary when METRIC is a known metric
/// (unchecked, names with a '/' always are). When parameters are checked, a name that
/// is none of a run column, a summary of a known metric and a parameter is an error
/// with a "did you mean", as is an unknown statistic of a known metric; unchecked, such
/// a name is taken for a parameter.
/// InputError pointing at the column of the problem:
/// "--where: column 14: expected a value after '>=', found the end".
SqlFilter parse_filter(const std::string& text, const FilterNames& names);

/// The same over lists: `metrics` the metric names; with `params`, parameters checked.
SqlFilter parse_filter(const std::string& text, const std::vector<std::string>& metrics = {},
                       const std::vector<std::string>* params = nullptr);

/// Metric statistics a filter may name after a metric (test/acc.max).
const std::vector<std::string>& summary_stats();

}  // namespace torchsweep
