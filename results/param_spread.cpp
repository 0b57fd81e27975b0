#include "results/param_spread.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "base/number_text.h"
#include "results/run_selection.h"

namespace torchsweep {

namespace {

/// Equal values: numbers by value (1 and 1.0 alike), text by text; null only to null.
bool same_value(const SqlValue& a, const SqlValue& b) {
  const bool a_null = std::holds_alternative<std::nullptr_t>(a), b_null = std::holds_alternative<std::nullptr_t>(b);
  if (a_null || b_null) return a_null == b_null;
  return !value_less(a, b) && !value_less(b, a);
}

/// The distinct values, in value order.
std::vector<SqlValue> distinct(std::vector<SqlValue> values) {
  std::stable_sort(values.begin(), values.end(), value_less);
  values.erase(std::unique(values.begin(), values.end(), same_value), values.end());
  return values;
}

/// A value in a message: numbers as people read them, a missing one as "(unset)".
std::string shown(const SqlValue& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return "(unset)";
  if (const auto* d = std::get_if<double>(&v)) return readable_number(*d);
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return std::get<std::string>(v);
}

/// Every parameter of a run.
std::map<std::string, SqlValue> all_params(Database& db, int64_t run_id) {
  auto stmt = db.prepare("SELECT key, value FROM params WHERE run_id = ?");
  stmt.bind(1, run_id);
  std::map<std::string, SqlValue> out;
  while (stmt.step()) out.emplace(stmt.get_text(0), stmt.get(1));
  return out;
}

/// The parameter keys a chosen key stands for: itself, or the leaves under it when its
/// value is an object (`optimizer={name: adam}` sets optimizer.name).
std::vector<std::string> leaves_of(const std::string& key, const std::map<std::string, SqlValue>& params) {
  std::vector<std::string> out;
  if (params.count(key)) return {key};
  for (auto it = params.lower_bound(key + "."); it != params.end() && it->first.rfind(key + ".", 0) == 0; ++it)
    out.push_back(it->first);
  return out;
}

/// The key an override sets: "+optimizer.momentum=0.9" → optimizer.momentum; "" for a
/// removal (~key) or anything else.
std::string override_key(const std::string& text) {
  size_t start = text.find_first_not_of('+');
  if (start == std::string::npos || text[start] == '~') return "";
  const size_t eq = text.find('=', start);
  return eq == std::string::npos ? "" : text.substr(start, eq - start);
}

}  // namespace

bool differs_between_repeats(const std::string& key) {
  return key == "seed" || key == "name" || key == "description" || key.rfind("sweep.", 0) == 0;
}

std::vector<PooledGroup> pooled_groups(Database& db, const std::vector<RunGroup>& groups,
                                       const std::vector<std::string>& by) {
  std::vector<PooledGroup> out;
  auto run_stmt = db.prepare("SELECT sweep_id, swept_json FROM runs WHERE id = ?");
  ParamLookup param(db);
  for (const auto& group : groups) {
    if (group.run_ids.size() < 2) continue;
    // The keys that may differ: those swept within each sweep, and, across sweeps,
    // whatever differs between one run of each (everything else in a sweep is its spec's).
    std::set<std::string> keys;
    std::map<int64_t, int64_t> one_per_sweep;
    bool whole_objects = false;  // a swept object: its leaves may differ from run to run
    for (const int64_t id : group.run_ids) {
      run_stmt.bind(1, id);
      if (run_stmt.step()) {
        one_per_sweep.emplace(run_stmt.get_int(0), id);
        const auto swept = nlohmann::json::parse(run_stmt.get_text(1), nullptr, /*allow_exceptions=*/false);
        if (swept.is_object())
          for (const auto& item : swept.items()) {
            keys.insert(item.key());
            whole_objects = whole_objects || item.value().is_structured();
          }
      }
      run_stmt.reset();
    }
    std::vector<int64_t> compared_whole;
    if (whole_objects) compared_whole = group.run_ids;
    else if (one_per_sweep.size() > 1)
      for (const auto& [sweep, id] : one_per_sweep) compared_whole.push_back(id);
    std::vector<std::map<std::string, SqlValue>> whole;
    for (const int64_t id : compared_whole) whole.push_back(all_params(db, id));
    for (const auto& params : whole)
      for (const auto& [key, value] : params)
        for (const auto& other : whole) {
          const auto it = other.find(key);
          if (it == other.end() || !same_value(it->second, value)) {
            keys.insert(key);
            break;
          }
        }

    PooledGroup pooled{group.label, group.run_ids.size(), {}};
    for (const auto& key : keys) {
      if (differs_between_repeats(key) || std::find(by.begin(), by.end(), key) != by.end()) continue;
      std::vector<SqlValue> values;
      for (const int64_t id : group.run_ids) values.push_back(param(id, key));
      values = distinct(std::move(values));
      // A swept object's key is no parameter itself (its leaves are): all null, one value.
      if (values.size() > 1) pooled.differing.push_back({key, std::move(values)});
    }
    if (!pooled.differing.empty()) out.push_back(std::move(pooled));
  }
  return out;
}

std::string pooled_warning(const std::string& command, const std::vector<PooledGroup>& pooled,
                           const std::vector<std::string>& by, size_t max_groups) {
  if (pooled.empty()) return "";
  std::string text = fmt::format("{}: {} group(s) pool runs that differ in more than their seeds:\n", command,
                                 pooled.size());
  std::vector<std::string> also;  // the differing keys, in the order first met
  for (size_t g = 0; g < pooled.size(); ++g) {
    for (const auto& p : pooled[g].differing)
      if (std::find(also.begin(), also.end(), p.key) == also.end()) also.push_back(p.key);
    if (g >= max_groups) continue;
    std::string line = fmt::format("  {} (n={}):", pooled[g].label, pooled[g].runs);
    for (const auto& p : pooled[g].differing) {
      std::string values;
      const size_t shown_count = std::min<size_t>(p.values.size(), 6);
      for (size_t i = 0; i < shown_count; ++i) values += (i ? ", " : "") + shown(p.values[i]);
      if (p.values.size() > shown_count) values += fmt::format(", ... ({} values)", p.values.size());
      line += fmt::format(" {} {};", p.key, values);
    }
    line.pop_back();
    text += line + "\n";
  }
  if (pooled.size() > max_groups) text += fmt::format("  and {} more group(s)\n", pooled.size() - max_groups);
  std::string keys;
  for (const auto& k : by) keys += (keys.empty() ? "" : ",") + k;
  for (const auto& k : also) keys += (keys.empty() ? "" : ",") + k;
  text += "  to tell them apart: --by " + keys + "\n";
  return text;
}

RunsInCommon runs_in_common(Database& db, const std::vector<int64_t>& run_ids) {
  RunsInCommon common;
  if (run_ids.empty()) return common;
  auto stmt = db.prepare(
      "SELECT r.sweep_id, s.name, r.swept_json, s.overrides FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
      "WHERE r.id = ?");
  std::map<int64_t, std::string> sweeps;
  std::set<std::string> chosen;  // keys swept or overridden: what someone chose for these runs
  for (const int64_t id : run_ids) {
    stmt.bind(1, id);
    if (stmt.step()) {
      const auto [it, added] = sweeps.emplace(stmt.get_int(0), stmt.get_text(1));
      const auto swept = nlohmann::json::parse(stmt.get_text(2), nullptr, /*allow_exceptions=*/false);
      if (swept.is_object())
        for (const auto& item : swept.items()) chosen.insert(item.key());
      if (added) {
        const auto overrides = nlohmann::json::parse(stmt.get_text(3), nullptr, /*allow_exceptions=*/false);
        if (overrides.is_array())
          for (const auto& o : overrides)
            if (o.is_string() && !override_key(o.get<std::string>()).empty())
              chosen.insert(override_key(o.get<std::string>()));
      }
    }
    stmt.reset();
  }
  common.sweeps.assign(sweeps.begin(), sweeps.end());
  const auto first = all_params(db, run_ids.front());
  std::set<std::string> keys;
  for (const auto& key : chosen)
    for (const auto& leaf : leaves_of(key, first))
      if (leaf != "name" && leaf != "description" && leaf.rfind("sweep.", 0) != 0) keys.insert(leaf);
  ParamLookup param(db);
  for (const auto& key : keys) {
    const SqlValue value = first.at(key);
    bool same = true;
    for (size_t i = 1; i < run_ids.size() && same; ++i) same = same_value(param(run_ids[i], key), value);
    if (same) common.fixed.emplace_back(key, value);
  }
  return common;
}

}  // namespace torchsweep
