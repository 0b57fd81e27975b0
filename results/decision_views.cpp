#include "results/decision_views.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "base/error.h"
#include "base/number_text.h"
#include "results/metric_sink.h"
#include "results/run_selection.h"

namespace torchsweep {

namespace {

/// The sweep's adaptive settings (sweeps.adaptive), an empty object when unreadable.
nlohmann::json adaptive_of(Database& db, int64_t sweep_id) {
  auto stmt = db.prepare("SELECT adaptive FROM sweeps WHERE id = ?");
  stmt.bind(1, sweep_id);
  if (!stmt.step()) return nlohmann::json::object();
  const auto adaptive = nlohmann::json::parse(stmt.get_text(0), nullptr, /*allow_exceptions=*/false);
  return adaptive.is_object() ? adaptive : nlohmann::json::object();
}

/// A string member of a JSON object, or "".
std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

/// Whether the sweep's rule wants its metric large: its goal says so (maximize, max),
/// else, as `results compare` guesses, an accuracy.
bool maximizes(const nlohmann::json& early_stop) {
  const std::string goal = text_of(early_stop, "goal");
  if (!goal.empty()) return goal.rfind("max", 0) == 0;
  return text_of(early_stop, "metric").find("acc") != std::string::npos;
}

std::string ids_text(const std::vector<int64_t>& ids) {
  std::string out;
  for (const auto id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

SqlValue optional_cell(const std::optional<double>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

/// A setting as the status line shows it: strings bare, the rest as JSON.
std::string setting_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return readable_number(value.get<double>());
  return value.dump();
}

}  // namespace

Table run_decisions(Database& db, int64_t run_id) {
  Table table;
  table.columns = {"seq", "action", "rule", "metric", "axis", "at", "rung", "value", "threshold", "note", "decided_at"};
  auto stmt = db.prepare(
      "SELECT seq, action, rule, metric, axis, at, rung, value, threshold, note, decided_at FROM decisions "
      "WHERE run_id = ? ORDER BY sweep_id, seq");
  stmt.bind(1, run_id);
  while (stmt.step()) {
    std::vector<SqlValue> row;
    for (int c = 0; c < stmt.columns(); ++c) row.push_back(stmt.get(c));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table run_rungs(Database& db, int64_t run_id) {
  Table table;
  table.columns = {"rung", "at", "value", "reached_at"};
  auto stmt = db.prepare("SELECT rung, at, value, reached_at FROM rungs WHERE run_id = ? ORDER BY rung");
  stmt.bind(1, run_id);
  while (stmt.step()) table.rows.push_back({stmt.get(0), stmt.get(1), stmt.get(2), stmt.get(3)});
  return table;
}

std::vector<RungLevel> rung_levels(Database& db, int64_t sweep_id) {
  const nlohmann::json early_stop = adaptive_of(db, sweep_id).value("early_stop", nlohmann::json::object());
  const bool maximize = maximizes(early_stop);
  const std::string default_axis = text_of(early_stop, "axis");

  // A level: (has no rung, rung, at). Rung-less levels sort after the rungs.
  using Key = std::tuple<bool, int64_t, int64_t>;
  struct Building {
    RungLevel level;
    std::set<int64_t> reached;
    std::map<int64_t, std::string> last_action;  // run -> its last decision's action here
    std::vector<double> values;                  // from rungs rows
    std::vector<double> judged;                  // from decisions, where no rungs row has one
  };
  std::map<Key, Building> levels;
  auto level_at = [&](const Key& key) -> Building& {
    auto [it, added] = levels.try_emplace(key);
    if (added) {
      it->second.level.sweep_id = sweep_id;
      if (!std::get<0>(key)) it->second.level.rung = std::get<1>(key);
      it->second.level.at = std::get<2>(key);
      it->second.level.axis = default_axis;
    }
    return it->second;
  };

  // Where each run reached each rung: a decision about a run at a rung belongs to the
  // level of the run's rungs row (a Hyperband bracket puts rung k at its own resource).
  std::map<std::pair<int64_t, int64_t>, int64_t> reached_at;
  std::map<int64_t, std::string> status_of;
  {
    auto runs = db.prepare("SELECT id, status FROM runs WHERE sweep_id = ?");
    runs.bind(1, sweep_id);
    while (runs.step()) status_of[runs.get_int(0)] = runs.get_text(1);
  }
  {
    auto rungs = db.prepare(
        "SELECT g.run_id, g.rung, g.at, g.value FROM rungs g JOIN runs r ON r.id = g.run_id WHERE r.sweep_id = ? "
        "ORDER BY g.rung, g.at, g.run_id");
    rungs.bind(1, sweep_id);
    while (rungs.step()) {
      const int64_t run = rungs.get_int(0), rung = rungs.get_int(1), at = rungs.get_int(2);
      reached_at[{run, rung}] = at;
      Building& b = level_at({false, rung, at});
      b.reached.insert(run);
      if (!rungs.is_null(3)) b.values.push_back(rungs.get_double(3));
    }
  }
  {
    auto decisions = db.prepare(
        "SELECT run_id, action, rung, at, axis, value, threshold FROM decisions "
        "WHERE sweep_id = ? AND action IN ('stop', 'promote', 'continue') AND run_id IS NOT NULL ORDER BY seq");
    decisions.bind(1, sweep_id);
    while (decisions.step()) {
      const int64_t run = decisions.get_int(0);
      const bool has_rung = !decisions.is_null(2);
      const int64_t rung = has_rung ? decisions.get_int(2) : 0;
      int64_t at = decisions.is_null(3) ? 0 : decisions.get_int(3);
      bool own_row = false;
      if (has_rung) {
        const auto it = reached_at.find({run, rung});
        if (it != reached_at.end()) at = it->second, own_row = true;
      }
      Building& b = level_at({!has_rung, rung, at});
      b.reached.insert(run);
      b.last_action[run] = decisions.get_text(1);
      if (!decisions.is_null(4)) b.level.axis = decisions.get_text(4);
      if (!own_row && !decisions.is_null(5)) b.judged.push_back(decisions.get_double(5));
      if (!decisions.is_null(6)) b.level.cutoff = decisions.get_double(6);  // the last one taken wins
    }
  }

  std::vector<RungLevel> out;
  for (auto& [key, b] : levels) {
    RungLevel level = std::move(b.level);
    level.reached.assign(b.reached.begin(), b.reached.end());
    for (const int64_t run : level.reached) {
      const auto it = b.last_action.find(run);
      if (it == b.last_action.end()) {
        if (status_of[run] == to_string(RunStatus::Paused)) level.paused.push_back(run);
      } else if (it->second == "stop") {
        level.stopped.push_back(run);
      } else {
        level.promoted.push_back(run);
      }
    }
    const auto& values = b.values.empty() ? b.judged : b.values;
    if (!values.empty())
      level.best = maximize ? *std::max_element(values.begin(), values.end())
                            : *std::min_element(values.begin(), values.end());
    out.push_back(std::move(level));
  }
  return out;
}

Table rungs_table(Database& db, const std::string& sweep) {
  std::vector<int64_t> sweep_ids;
  {
    const auto [where, binds] = sweep_condition(sweep, "id");
    auto stmt = db.prepare("SELECT id FROM sweeps WHERE " + where + " ORDER BY id");
    for (size_t i = 0; i < binds.size(); ++i) stmt.bind(static_cast<int>(i + 1), binds[i]);
    while (stmt.step()) sweep_ids.push_back(stmt.get_int(0));
  }
  if (sweep_ids.empty())
    throw InputError(sweep.empty() || sweep == "all" ? "the database holds no sweeps yet"
                                                     : "--sweep: no sweep '" + sweep + "' in this database");
  const bool several = sweep_ids.size() > 1;
  Table table;
  if (several) table.columns.push_back("sweep");
  for (const char* c : {"rung", "axis", "at", "reached", "promoted", "stopped", "paused", "cutoff", "best",
                        "promoted_runs", "stopped_runs"})
    table.columns.push_back(c);
  for (const int64_t id : sweep_ids)
    for (const auto& level : rung_levels(db, id)) {
      std::vector<SqlValue> row;
      if (several) row.emplace_back(id);
      row.push_back(level.rung ? SqlValue(*level.rung) : SqlValue(nullptr));
      row.push_back(level.axis.empty() ? SqlValue(nullptr) : SqlValue(level.axis));
      row.emplace_back(level.at);
      row.emplace_back(static_cast<int64_t>(level.reached.size()));
      row.emplace_back(static_cast<int64_t>(level.promoted.size()));
      row.emplace_back(static_cast<int64_t>(level.stopped.size()));
      row.emplace_back(static_cast<int64_t>(level.paused.size()));
      row.push_back(optional_cell(level.cutoff));
      row.push_back(optional_cell(level.best));
      row.emplace_back(ids_text(level.promoted));
      row.emplace_back(ids_text(level.stopped));
      table.rows.push_back(std::move(row));
    }
  return table;
}

std::string adaptive_status(Database& db, int64_t sweep_id) {
  const nlohmann::json adaptive = adaptive_of(db, sweep_id);
  const auto levels = rung_levels(db, sweep_id);
  std::string out;
  const auto early_stop = adaptive.find("early_stop");
  if (early_stop != adaptive.end() && early_stop->is_object()) {
    const std::string rule = text_of(*early_stop, "rule");
    const std::string metric = text_of(*early_stop, "metric");
    out += "early stopping: " + (rule.empty() ? std::string("a rule") : rule);
    if (!metric.empty()) out += " on " + metric;
    std::string how = maximizes(*early_stop) ? "maximize" : "minimize";
    if (!text_of(*early_stop, "axis").empty()) how += ", per " + text_of(*early_stop, "axis");
    out += " (" + how + ")";
    for (const auto& [key, value] : early_stop->items())
      if (key != "rule" && key != "metric" && key != "goal" && key != "axis")
        out += ", " + key + " " + setting_text(value);
    out += "\n";
  } else if (!levels.empty()) {
    out += "early stopping:\n";
  }
  // A rule without rungs may stop runs at many steps: the first levels, then a count.
  constexpr size_t kShownLevels = 10;
  for (size_t i = 0; i < levels.size() && i < kShownLevels; ++i) {
    const RungLevel& level = levels[i];
    const std::string where = (level.axis.empty() ? "" : level.axis + " ") + std::to_string(level.at);
    out += level.rung ? fmt::format("  rung {} at {}: {} reached", *level.rung, where, level.reached.size())
                      : fmt::format("  at {}: {} judged", where, level.reached.size());
    out += fmt::format(", {} promoted, {} stopped", level.promoted.size(), level.stopped.size());
    if (!level.paused.empty()) out += fmt::format(", {} paused", level.paused.size());
    if (level.cutoff) out += ", cutoff " + readable_number(*level.cutoff);
    if (level.best) out += ", best " + readable_number(*level.best);
    out += "\n";
  }
  if (levels.size() > kShownLevels)
    out += fmt::format("  ... {} more level(s): torchsweep results rungs --sweep {}\n", levels.size() - kShownLevels,
                       sweep_id);
  const auto search = adaptive.find("search");
  auto proposed = db.prepare("SELECT count(*) FROM decisions WHERE sweep_id = ? AND action = 'propose'");
  proposed.bind(1, sweep_id);
  proposed.step();
  const int64_t proposals = proposed.get_int(0);
  if ((search != adaptive.end() && search->is_object() && !search->empty()) || proposals > 0) {
    std::string method;
    if (search != adaptive.end())
      for (const char* key : {"mode", "method", "sampler", "rule", "name"})
        if (method.empty()) method = text_of(*search, key);
    out += fmt::format("search: {}{} run(s) proposed\n", method.empty() ? "" : method + ", ", proposals);
  }
  return out;
}

}  // namespace torchsweep
