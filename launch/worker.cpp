#include "launch/worker.h"

#include <fmt/format.h>

#include "base/interrupt.h"
#include "base/number_text.h"
#include "launch/adaptive_queue.h"
#include "launch/decision_replay.h"
#include "launch/environment.h"
#include "launch/rule_sink.h"
#include "results/run_queue.h"
#include "results/sqlite_sink.h"
#include "sweep/lane_groups.h"
#include "train/console_sink.h"
#include "train/trainer.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <memory>
#include <thread>

namespace torchsweep {

namespace {

/// Numbers as spans where they are consecutive: {7, 8, 9, 11} → "7-9,11".
std::string spans(const std::vector<int64_t>& numbers) {
  std::string out;
  for (size_t i = 0; i < numbers.size();) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(numbers[i]) + (j > i ? "-" + std::to_string(numbers[j]) : "");
    i = j + 1;
  }
  return out;
}

/// The label of the one status line a lane group shows: its runs and their places in
/// the sweep ("runs 7-12 [7-12/12]"); each lane's own lines carry its run's label.
std::string group_label(const std::string& prefix, const std::vector<ClaimedRun>& group) {
  std::vector<int64_t> ids, places;
  for (const auto& run : group) {
    ids.push_back(run.id);
    places.push_back(run.index + 1);
  }
  return fmt::format("{}runs {} [{}/{}] ({} lanes)", prefix, spans(ids), spans(places), group.front().sweep_runs,
                     group.size());
}

}  // namespace

std::string swept_label(const nlohmann::json& swept) {
  std::string label;
  for (const auto& item : swept.items()) {
    const auto& value = item.value();
    // Numbers as `results list` shows them (base/number_text.h): 1000, not 1000.0.
    const std::string text = value.is_string()            ? value.get<std::string>()
                             : value.is_number_float()    ? readable_number(value.get<double>())
                                                          : value.dump();
    label += (label.empty() ? "" : " ") + item.key() + "=" + text;
  }
  return label;
}

WorkerOutcome run_worker(Store& store, std::ostream& out, const WorkerOptions& options) {
  WorkerOutcome outcome;
  const Holder self = this_process();
  RunQueue queue(store.db());
  // Runs whose process died stay `running`; find them before looking for work.
  const auto stale = queue.recover_stale(options.sweep_id, self, options.stale_after, options.exclusive);
  for (const auto id : stale) out << options.prefix << fmt::format("run {}: its process is gone, continuing it\n", id);

  const Environment env = current_environment(options.command_line);
  const RunEnvironment base{"", "", env.host, env.torchsweep_version, env.torch_version, env.git_commit,
                            env.command_line, "", "", ""};
  const std::string artifacts =
      options.artifacts_root.empty() ? default_artifacts_root(store.db().path()) : options.artifacts_root;
  ArtifactOwnership ownership(store.db());
  std::map<int64_t, AdaptiveSweep> adaptive_of_sweep;  // what each sweep decides by, read once
  auto adaptive_sweep = [&](int64_t sweep_id) -> const AdaptiveSweep& {
    auto it = adaptive_of_sweep.find(sweep_id);
    if (it == adaptive_of_sweep.end()) it = adaptive_of_sweep.emplace(sweep_id, read_adaptive_sweep(store.db(), sweep_id)).first;
    return it->second;
  };
  const size_t max_lanes =
      options.max_lanes > 0 ? std::min(static_cast<size_t>(options.max_lanes), kMaxLanes) : kMaxLanes;
  while (interrupt_signal() == 0) {
    // The runs trained together now: one, or a lane group recorded when the sweep was
    // expanded (an adaptive sweep's runs are judged one by one and never group).
    std::vector<ClaimedRun> group;
    TrainOptions train_options;
    std::string promoted_why;
    bool wait = false;
    // An adaptive sweep's worker takes what the sweep's decisions give it (a promoted
    // run, the next waiting one, a proposed one), and how far to train it.
    auto take_adaptive = [&](int64_t sweep_id) {
      NextWork work = claim_adaptive(store, adaptive_sweep(sweep_id), self);
      wait = wait || work.wait;
      if (!work.run) return false;
      group = {std::move(*work.run)};
      train_options.pause_at = work.pause_at;
      train_options.pause_axis = work.pause_axis;
      promoted_why = work.why;
      return true;
    };
    if (options.sweep_id != 0 && adaptive_sweep(options.sweep_id).adaptive()) {
      take_adaptive(options.sweep_id);
    } else {
      // The run queue leaves adaptive sweeps to claim_adaptive: a worker of every sweep
      // takes their runs once no other run waits.
      group = queue.claim_group(options.sweep_id, self, max_lanes);
      if (group.empty() && options.sweep_id == 0)
        for (const int64_t id : adaptive_sweeps_with_work(store.db()))
          if (take_adaptive(id)) break;
    }
    if (group.empty() && wait) {
      // Another worker's run may reach a rung and make a promotion: ask again, and give
      // back a run whose worker died meanwhile, which would otherwise be waited for forever.
      for (const auto id : queue.recover_stale(options.sweep_id, self, options.stale_after))
        out << options.prefix << fmt::format("run {}: its process is gone, continuing it\n", id);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (group.empty()) break;
    const ClaimedRun* claimed = &group.front();
    const AdaptiveSweep& adaptive = adaptive_sweep(claimed->sweep_id);
    // A replayed run ends where its original ended.
    RecordedEnd replayed;
    if (adaptive.replay) {
      auto original = store.db().prepare("SELECT coalesce(rerun_of, 0) FROM runs WHERE id = ?");
      original.bind(1, claimed->id);
      if (original.step() && original.get_int(0) > 0) replayed = recorded_end(store.db(), original.get_int(0));
      if (replayed.kind == RecordedEnd::Kind::StoppedAtRung) {
        train_options.pause_at = replayed.at;
        train_options.pause_axis = replayed.axis;
      }
    }
    // A run of a lane group (the sweep says `fuse: on`) that trains alone says why.
    if (group.size() == 1 && claimed->lane_group != 0)
      out << options.prefix
          << fmt::format("run {}: trained alone ({})\n", claimed->id, why_alone(claimed->lane_group_runs, max_lanes));

    struct Sinks {
      std::unique_ptr<SqliteSink> db;
      std::unique_ptr<ConsoleSink> console;
      std::unique_ptr<RuleSink> rule;
      std::unique_ptr<ReplaySink> replay;
      std::unique_ptr<FanoutSink> both;
    };
    std::vector<Sinks> sinks(group.size());
    const auto status_line = std::make_shared<SharedStatusLine>(group.size());
    std::vector<LaneSpec> lanes;
    // A run taken again (interrupted, failed, or its process died) continues from its last checkpoint.
    train_options.resume = true;
    train_options.default_threads = options.threads;
    for (size_t k = 0; k < group.size(); ++k) {
      const ClaimedRun& run = group[k];
      outcome.run_ids.push_back(run.id);
      const std::string values = swept_label(nlohmann::json::parse(run.swept_json));
      const std::string label = fmt::format("{}run {} [{}/{}]{}{}", options.prefix, run.id, run.index + 1,
                                            run.sweep_runs, values.empty() ? "" : "  ", values);
      // A checkpoint is continued only by the run that wrote it: the folder is checked
      // against this database and run, and another's is left alone (its note says so).
      RunFolder folder;
      {
        // The sinks of the lanes set up before this one already write from their threads.
        std::lock_guard<std::mutex> store_lock(store.mutex());
        folder = prepare_run_folder(store.db(), ownership, run.id, artifacts);
      }
      const std::string& dir = folder.dir;
      if (!folder.note.empty()) out << options.prefix << fmt::format("run {}: {}\n", run.id, folder.note);
      if (!promoted_why.empty()) out << label << "  " << promoted_why << "\n";
      else if (run.attempts > 1) out << label << fmt::format("  attempt {}, from its last checkpoint\n", run.attempts);
      // Lanes share the terminal: each reports in lines rather than redrawing one bar,
      // and a worker's one status line names the whole group, drawn by the first lane
      // still running (one that diverged hands it on).
      const auto display = options.status_records                     ? ConsoleSink::Display::StatusRecords
                           : options.interactive && group.size() == 1 ? ConsoleSink::Display::Bar
                                                                      : ConsoleSink::Display::Lines;
      sinks[k].db = std::make_unique<SqliteSink>(store, run.id, base);
      sinks[k].console = std::make_unique<ConsoleSink>(out, label, display, std::chrono::seconds(10), options.width);
      if (group.size() > 1) {
        sinks[k].console->set_progress_label(group_label(options.prefix, group));
        sinks[k].console->share_status_line(status_line, k);
      }
      std::vector<MetricSink*> fanout = {sinks[k].db.get(), sinks[k].console.get()};
      if (adaptive.judges_points()) {
        sinks[k].rule = std::make_unique<RuleSink>(store, run.sweep_id, run.id, adaptive.early_stop, *sinks[k].db);
        fanout.push_back(sinks[k].rule.get());
      }
      if (replayed.kind == RecordedEnd::Kind::StoppedAtPoint) {
        sinks[k].replay = std::make_unique<ReplaySink>(replayed);
        fanout.push_back(sinks[k].replay.get());
      }
      sinks[k].both = std::make_unique<FanoutSink>(std::move(fanout));
      lanes.push_back({nlohmann::json::parse(run.config_json), sinks[k].both.get(), dir});
    }
    std::vector<TrainOutcome> results = train_group(lanes, train_options);
    sinks.clear();  // every point written before the next runs are taken
    if (replayed.kind == RecordedEnd::Kind::StoppedAtRung && results.front().status == RunStatus::Paused) {
      // It waited at the rung where its original was stopped: it is stopped there too.
      store.db()
          .prepare("UPDATE runs SET status = ?, error = ? WHERE id = ?")
          .bind(1, to_string(RunStatus::Stopped))
          .bind(2, replayed.note)
          .bind(3, claimed->id)
          .run();
      results.front().status = RunStatus::Stopped;
    }
    for (const auto& result : results) {
      switch (result.status) {
        case RunStatus::Finished: ++outcome.finished; break;
        case RunStatus::Diverged: ++outcome.diverged; break;
        case RunStatus::Interrupted: ++outcome.interrupted; break;
        case RunStatus::Stopped: ++outcome.stopped; break;
        case RunStatus::Paused: ++outcome.paused; break;
        default: ++outcome.failed; break;
      }
    }
  }
  outcome.stop_signal = interrupt_signal();
  return outcome;
}

}  // namespace torchsweep
