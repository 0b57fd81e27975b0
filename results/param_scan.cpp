#include "results/param_scan.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "base/error.h"
#include "results/summary_lookup.h"

namespace torchsweep {

void check_scan_summary(const std::string& summary) {
  if (summary != "last" && summary != "min" && summary != "max" && summary != "mean_last_k")
    throw InputError("--summary: expected last, min, max or mean_last_k, got \"" + summary + "\"");
}

Scan load_scan(Database& db, const ScanRequest& request) {
  check_scan_summary(request.summary);
  const auto runs = select_runs(db, request.runs);
  if (runs.empty()) throw InputError("--where: no run matches");
  std::vector<std::string> keys = {request.x};
  keys.insert(keys.end(), request.by.begin(), request.by.end());
  check_params_exist(db, runs, keys);

  ParamLookup param(db);
  SummaryLookup summary(db);
  Scan scan;
  std::vector<std::pair<std::vector<SqlValue>, ScanPoint>> keyed;
  bool logged = false;
  for (const auto& run : runs) {
    const auto row = summary(run.id, request.metric);
    if (!row) continue;
    logged = true;
    const SqlValue x = param(run.id, request.x);
    if (std::holds_alternative<std::string>(x))
      throw InputError("--x: " + request.x + " is text in run " + std::to_string(run.id) + " (\"" +
                       std::get<std::string>(x) + "\"); --x takes a numeric parameter (text values: --by)");
    const double y = request.summary == "min"           ? row->min
                     : request.summary == "max"         ? row->max
                     : request.summary == "mean_last_k" ? row->mean_last_k
                                                        : row->last;
    const double xv = std::holds_alternative<int64_t>(x)  ? static_cast<double>(std::get<int64_t>(x))
                      : std::holds_alternative<double>(x) ? std::get<double>(x)
                                                          : std::nan("");
    if (!std::isfinite(xv) || !std::isfinite(y)) {
      ++scan.left_out;
      continue;
    }
    std::vector<SqlValue> key;
    for (const auto& k : request.by) key.push_back(param(run.id, k));
    keyed.push_back({std::move(key), ScanPoint{run.id, xv, y}});
  }
  if (!logged) throw InputError("--metric: no selected run logged '" + request.metric + "'");
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (std::lexicographical_compare(a.first.begin(), a.first.end(), b.first.begin(), b.first.end(), value_less))
      return true;
    if (std::lexicographical_compare(b.first.begin(), b.first.end(), a.first.begin(), a.first.end(), value_less))
      return false;
    return a.second.x < b.second.x;
  });
  for (const auto& [key, point] : keyed) {
    std::string label;
    for (size_t k = 0; k < key.size(); ++k)
      label += (k ? ", " : "") + request.by[k] + " = " + value_text(key[k]);
    if (label.empty()) label = "runs";
    if (scan.series.empty() || scan.series.back().label != label) scan.series.push_back({label, {}});
    scan.series.back().points.push_back(point);
  }
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : scan.series)
    for (const auto& p : s.points) lo = std::min(lo, p.x), hi = std::max(hi, p.x);
  scan.log_x = !scan.series.empty() && lo > 0 && hi / lo >= 10 - 1e-9;  // a decade, rounding aside
  return scan;
}

}  // namespace torchsweep
