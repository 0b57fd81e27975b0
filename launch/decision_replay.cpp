#include "launch/decision_replay.h"

#include "base/clock.h"

namespace torchsweep {

RecordedEnd recorded_end(Database& db, int64_t run_id) {
  RecordedEnd end;
  auto run = db.prepare("SELECT status, coalesce(error, '') FROM runs WHERE id = ?");
  run.bind(1, run_id);
  if (!run.step() || run.get_text(0) != to_string(RunStatus::Stopped)) return end;
  end.note = run.get_text(1);
  run.reset();
  auto stop = db.prepare(
      "SELECT rung IS NOT NULL, coalesce(axis, 'step'), coalesce(at, 0), coalesce(metric, '') FROM decisions "
      "WHERE run_id = ? AND action = 'stop' ORDER BY seq DESC LIMIT 1");
  stop.bind(1, run_id);
  if (!stop.step()) return end;  // stopped without a recorded decision: trained to its end
  end.kind = stop.get_int(0) ? RecordedEnd::Kind::StoppedAtRung : RecordedEnd::Kind::StoppedAtPoint;
  end.axis = stop.get_text(1) == "epoch" ? MetricAxis::Epoch : MetricAxis::Step;
  end.at = stop.get_int(2);
  end.metric = stop.get_text(3);
  return end;
}

int64_t copy_decisions(Database& db, int64_t from_sweep, int64_t to_sweep, int64_t only_run) {
  // A decision about a run goes with the run that reruns it; the copy keeps the order,
  // the values and what it saw (its run ids are the original sweep's), and says whence.
  auto copy = db.prepare(R"sql(
INSERT INTO decisions(sweep_id, seq, run_id, action, rule, metric, axis, at, rung, value, threshold, seen, seed,
                      note, decided_at)
SELECT ?2, row_number() OVER (ORDER BY d.seq), n.id, d.action, d.rule, d.metric, d.axis, d.at, d.rung, d.value,
       d.threshold, d.seen, d.seed,
       'replayed decision ' || d.seq || ' of sweep ' || d.sweep_id || ': ' || coalesce(d.note, ''), ?4
FROM decisions d JOIN runs n ON n.rerun_of = d.run_id AND n.sweep_id = ?2
WHERE d.sweep_id = ?1 AND (?3 = 0 OR d.run_id = ?3) ORDER BY d.seq
)sql");
  copy.bind(1, from_sweep).bind(2, to_sweep).bind(3, only_run).bind(4, utc_now()).run();
  return db.changes();
}

void ReplaySink::take(int64_t step, const MetricRow& row, MetricAxis axis) {
  if (!stop_.empty() || end_.kind != RecordedEnd::Kind::StoppedAtPoint || axis != end_.axis || step != end_.at) return;
  for (const auto& entry : row)
    if (entry.first == end_.metric) stop_ = end_.note.empty() ? "stopped where its original run stopped" : end_.note;
}

}  // namespace torchsweep
