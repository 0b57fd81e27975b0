#include "results/decision_log.h"

#include <cmath>

#include "base/clock.h"

namespace torchsweep {

namespace {

SqlValue optional_value(const std::optional<int64_t>& value) { return value ? SqlValue(*value) : SqlValue(nullptr); }
SqlValue finite_or_null(double value) { return std::isfinite(value) ? SqlValue(value) : SqlValue(nullptr); }
SqlValue text_or_null(const std::string& text) { return text.empty() ? SqlValue(nullptr) : SqlValue(text); }

}  // namespace

int64_t record_decision(Database& db, Decision decision) {
  auto next = db.prepare("SELECT coalesce(max(seq), 0) + 1 FROM decisions WHERE sweep_id = ?");
  next.bind(1, decision.sweep_id);
  next.step();
  decision.seq = next.get_int(0);
  decision.decided_at = utc_now();
  db.prepare(
        "INSERT INTO decisions(sweep_id, seq, run_id, action, rule, metric, axis, at, rung, value, threshold, seen, "
        "seed, note, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, decision.sweep_id)
      .bind(2, decision.seq)
      .bind(3, decision.run_id > 0 ? SqlValue(decision.run_id) : SqlValue(nullptr))
      .bind(4, decision.action)
      .bind(5, decision.rule)
      .bind(6, text_or_null(decision.metric))
      .bind(7, text_or_null(decision.axis))
      .bind(8, optional_value(decision.at))
      .bind(9, optional_value(decision.rung))
      .bind(10, finite_or_null(decision.value))
      .bind(11, finite_or_null(decision.threshold))
      .bind(12, decision.seen.dump())
      .bind(13, optional_value(decision.seed))
      .bind(14, text_or_null(decision.note))
      .bind(15, decision.decided_at)
      .run();
  return decision.seq;
}

std::vector<Decision> read_decisions(Database& db, int64_t sweep_id, int64_t run_id) {
  auto rows = db.prepare(
      "SELECT sweep_id, seq, coalesce(run_id, 0), action, rule, coalesce(metric, ''), coalesce(axis, ''), at, rung, "
      "value, threshold, seen, seed, coalesce(note, ''), decided_at FROM decisions "
      "WHERE sweep_id = ?1 AND (?2 = 0 OR run_id = ?2) ORDER BY seq");
  rows.bind(1, sweep_id).bind(2, run_id);
  std::vector<Decision> out;
  auto optional_int = [&](int column) {
    return rows.is_null(column) ? std::optional<int64_t>() : std::optional<int64_t>(rows.get_int(column));
  };
  auto real_or_nan = [&](int column) {
    return rows.is_null(column) ? std::numeric_limits<double>::quiet_NaN() : rows.get_double(column);
  };
  while (rows.step()) {
    Decision d;
    d.sweep_id = rows.get_int(0);
    d.seq = rows.get_int(1);
    d.run_id = rows.get_int(2);
    d.action = rows.get_text(3);
    d.rule = rows.get_text(4);
    d.metric = rows.get_text(5);
    d.axis = rows.get_text(6);
    d.at = optional_int(7);
    d.rung = optional_int(8);
    d.value = real_or_nan(9);
    d.threshold = real_or_nan(10);
    d.seen = nlohmann::json::parse(rows.get_text(11), nullptr, /*allow_exceptions=*/false);
    d.seed = optional_int(12);
    d.note = rows.get_text(13);
    d.decided_at = rows.get_text(14);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace torchsweep
