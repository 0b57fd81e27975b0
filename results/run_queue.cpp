#include "results/run_queue.h"

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/clock.h"
#include "results/metric_sink.h"

namespace torchsweep {

namespace {
/// Whether a process of this host with this pid exists (EPERM: it does, as another user's).
bool process_alive(int64_t pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

/// The fields of Linux's /proc/PID/stat from the third (the state) on; empty when
/// there is none. They are counted after the command name, which is in parentheses and
/// may itself hold spaces and parentheses.
std::vector<std::string> process_fields(int64_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat_file, line)) return {};
  const auto name_end = line.rfind(')');
  if (name_end == std::string::npos) return {};
  std::istringstream in(line.substr(name_end + 1));
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

/// When the process of `fields` (process_fields) started, or nullopt.
std::optional<std::chrono::system_clock::time_point> process_started(const std::vector<std::string>& fields) {
  constexpr size_t kStartTime = 22 - 3;  // field 22, in clock ticks after boot
  if (fields.size() <= kStartTime) return std::nullopt;
  std::ifstream boot_file("/proc/stat");
  int64_t boot = -1;
  for (std::string line; std::getline(boot_file, line);)
    if (line.rfind("btime ", 0) == 0) boot = std::stoll(line.substr(6));
  const long ticks = ::sysconf(_SC_CLK_TCK);
  if (boot < 0 || ticks <= 0) return std::nullopt;
  const double after_boot = std::stod(fields[kStartTime]) / static_cast<double>(ticks);
  return std::chrono::system_clock::from_time_t(static_cast<std::time_t>(boot)) +
         std::chrono::milliseconds(static_cast<int64_t>(after_boot * 1000.0));
}
}  // namespace

Holder this_process() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return {name, static_cast<int64_t>(::getpid())};
}

bool holder_gone(const Holder& holder, const std::string& heartbeat_at, const Holder& self,
                 std::chrono::seconds stale_after) {
  const auto heartbeat = parse_utc_iso(heartbeat_at);
  if (holder.host != self.host)
    return !heartbeat || *heartbeat < std::chrono::system_clock::now() - stale_after;
  if (!process_alive(holder.pid)) return true;
  const auto fields = process_fields(holder.pid);
  // A process killed but not yet waited for by its parent still has its pid.
  if (!fields.empty() && fields[0] == "Z") return true;
  // The holder was alive at its last heartbeat; a process with its pid that started
  // after that is another one. The boot time is counted in whole seconds, hence the
  // margin.
  const auto started = process_started(fields);
  return heartbeat && started && *started > *heartbeat + std::chrono::seconds(2);
}

namespace {
const char* kClaimColumns =
    "id, sweep_id, run_index, config_json, swept_json, coalesce(artifact_dir, ''), attempts, coalesce(lane_group, 0), "
    "(SELECT count(*) FROM runs g WHERE g.lane_group = runs.lane_group)";

ClaimedRun claimed_from(Statement& row) {
  ClaimedRun run;
  run.id = row.get_int(0);
  run.sweep_id = row.get_int(1);
  run.index = row.get_int(2);
  run.config_json = row.get_text(3);
  run.swept_json = row.get_text(4);
  run.artifact_dir = row.get_text(5);
  run.attempts = row.get_int(6) + 1;
  run.lane_group = row.get_int(7);
  run.lane_group_runs = row.get_int(8);
  return run;
}
}  // namespace

void RunQueue::take(ClaimedRun& run, const Holder& holder) {
  db_.prepare("UPDATE runs SET status = ?, host = ?, pid = ?, heartbeat_at = ?, attempts = ? WHERE id = ?")
      .bind(1, to_string(RunStatus::Running))
      .bind(2, holder.host)
      .bind(3, holder.pid)
      .bind(4, utc_now())
      .bind(5, run.attempts)
      .bind(6, run.id)
      .run();
  auto count = db_.prepare("SELECT count(*) FROM runs WHERE sweep_id = ?");
  count.bind(1, run.sweep_id);
  count.step();
  run.sweep_runs = count.get_int(0);
}

ClaimedRun RunQueue::take_run(int64_t run_id, const Holder& holder) {
  auto row = db_.prepare(std::string("SELECT ") + kClaimColumns + " FROM runs WHERE id = ?");
  row.bind(1, run_id);
  if (!row.step()) throw std::logic_error("take_run: no run " + std::to_string(run_id));
  ClaimedRun run = claimed_from(row);
  row.reset();
  take(run, holder);
  return run;
}

namespace {
/// The next waiting run (pending or interrupted, lowest index first; sweep 0: the
/// training runs of sweeps that decide nothing as they go), read inside the caller's
/// write transaction.
std::optional<ClaimedRun> next_waiting(Database& db, int64_t sweep_id) {
  auto next = db.prepare(std::string("SELECT ") + kClaimColumns +
                         " FROM runs WHERE status IN (?2, ?3) AND (?1 = 0 OR sweep_id = ?1) "
                         "AND (?1 <> 0 OR (kind = 'train' AND sweep_id NOT IN (SELECT id FROM sweeps WHERE "
                         "adaptive <> '{}' AND coalesce(json_extract(adaptive, '$.replay'), 0) = 0))) "
                         "ORDER BY sweep_id, run_index LIMIT 1");
  next.bind(1, sweep_id).bind(2, to_string(RunStatus::Pending)).bind(3, to_string(RunStatus::Interrupted));
  if (!next.step()) return std::nullopt;
  return claimed_from(next);
}
}  // namespace

std::optional<ClaimedRun> RunQueue::claim_next(int64_t sweep_id, const Holder& holder) {
  auto taken = claim_group(sweep_id, holder, /*max_lanes=*/1);
  if (taken.empty()) return std::nullopt;
  return std::move(taken.front());
}

std::vector<ClaimedRun> RunQueue::claim_group(int64_t sweep_id, const Holder& holder, size_t max_lanes) {
  // One write transaction from the first read: between choosing runs and marking them,
  // no other process can choose them too.
  Transaction tx(db_);
  std::optional<ClaimedRun> first = next_waiting(db_, sweep_id);
  if (!first) return {};
  std::vector<ClaimedRun> group = {std::move(*first)};
  if (group.front().lane_group != 0 && max_lanes != 1) {
    // The group's other runs that wait as the first one may: what claim_next would take
    // next from this group, whatever their attempts (a continued lane resumes from its
    // own checkpoint).
    auto others = db_.prepare(std::string("SELECT ") + kClaimColumns +
                              " FROM runs WHERE lane_group = ?1 AND sweep_id = ?2 AND id <> ?3 AND status IN (?4, ?5) "
                              "ORDER BY run_index LIMIT ?6");
    others.bind(1, group.front().lane_group)
        .bind(2, group.front().sweep_id)
        .bind(3, group.front().id)
        .bind(4, to_string(RunStatus::Pending))
        .bind(5, to_string(RunStatus::Interrupted))
        .bind(6, max_lanes == 0 ? int64_t{-1} : static_cast<int64_t>(max_lanes) - 1);
    while (others.step()) group.push_back(claimed_from(others));
    others.reset();
  }
  for (auto& run : group) take(run, holder);
  tx.commit();
  return group;
}

void RunQueue::heartbeat(int64_t run_id) {
  db_.prepare("UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = ?")
      .bind(1, utc_now())
      .bind(2, run_id)
      .bind(3, to_string(RunStatus::Running))
      .run();
}

std::vector<int64_t> RunQueue::recover_stale(int64_t sweep_id, const Holder& self, std::chrono::seconds stale_after,
                                             bool every_running) {
  Transaction tx(db_);
  auto running = db_.prepare(
      "SELECT id, coalesce(host, ''), coalesce(pid, 0), coalesce(heartbeat_at, started_at, '') FROM runs "
      "WHERE status = ?2 AND (?1 = 0 OR sweep_id = ?1)");
  running.bind(1, sweep_id).bind(2, to_string(RunStatus::Running));
  std::vector<int64_t> stale;
  while (running.step()) {
    const bool gone =
        every_running || holder_gone({running.get_text(1), running.get_int(2)}, running.get_text(3), self, stale_after);
    if (gone) stale.push_back(running.get_int(0));
  }
  auto mark = db_.prepare(
      "UPDATE runs SET status = ?2, error = 'its process (' || coalesce(host, '?') || ' pid ' || "
      "coalesce(pid, '?') || ') ended without recording an outcome' WHERE id = ?1");
  for (const auto id : stale) mark.bind(1, id).bind(2, to_string(RunStatus::Interrupted)).run();
  tx.commit();
  return stale;
}

int64_t RunQueue::requeue(int64_t sweep_id) {
  // A run a search proposed at a point its spec refused has no config to train (no hash).
  db_.prepare("UPDATE runs SET status = ?2 WHERE sweep_id = ?1 AND status IN (?3, ?4) AND config_hash <> ''")
      .bind(1, sweep_id)
      .bind(2, to_string(RunStatus::Pending))
      .bind(3, to_string(RunStatus::Failed))
      .bind(4, to_string(RunStatus::Interrupted))
      .run();
  return db_.changes();
}

}  // namespace torchsweep
