#include "launch/worker.h"

#include <fmt/format.h>

#include "base/interrupt.h"
#include "launch/environment.h"
#include "results/run_queue.h"
#include "results/sqlite_sink.h"
#include "train/console_sink.h"
#include "train/trainer.h"

namespace torchsweep {

std::string default_artifacts_root(const std::string& db_path) {
  std::string stem = db_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  return stem + "-artifacts";
}

std::string swept_label(const nlohmann::json& swept) {
  std::string label;
  for (const auto& item : swept.items())
    label += (label.empty() ? "" : " ") + item.key() + "=" +
             (item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
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
                            env.command_line};
  const std::string artifacts =
      options.artifacts_root.empty() ? default_artifacts_root(store.db().path()) : options.artifacts_root;
  while (interrupt_signal() == 0) {
    const auto claimed = queue.claim_next(options.sweep_id, self);
    if (!claimed) break;
    outcome.run_ids.push_back(claimed->id);
    const nlohmann::json swept = nlohmann::json::parse(claimed->swept_json);
    const std::string values = swept_label(swept);
    const std::string label = fmt::format("{}run {} [{}/{}]{}{}", options.prefix, claimed->id, claimed->index + 1,
                                          claimed->sweep_runs, values.empty() ? "" : "  ", values);
    TrainOptions train_options;
    train_options.checkpoint_dir =
        claimed->artifact_dir.empty() ? artifacts + "/run-" + std::to_string(claimed->id) : claimed->artifact_dir;
    // A run taken again (interrupted, failed, or its process died) continues from its last checkpoint.
    train_options.resume = true;
    train_options.default_threads = options.threads;
    if (claimed->artifact_dir.empty()) store.set_artifact_dir(claimed->id, train_options.checkpoint_dir);
    if (claimed->attempts > 1) out << label << fmt::format("  attempt {}, from its last checkpoint\n", claimed->attempts);

    TrainOutcome result;
    {
      SqliteSink db_sink(store, claimed->id, base);
      const auto display = options.status_records ? ConsoleSink::Display::StatusRecords
                           : options.interactive    ? ConsoleSink::Display::Bar
                                                    : ConsoleSink::Display::Lines;
      ConsoleSink console(out, label, display, std::chrono::seconds(10), options.width);
      FanoutSink sink({&db_sink, &console});
      result = train_run(nlohmann::json::parse(claimed->config_json), sink, train_options);
    }
    switch (result.status) {
      case RunStatus::Finished: ++outcome.finished; break;
      case RunStatus::Diverged: ++outcome.diverged; break;
      case RunStatus::Interrupted: ++outcome.interrupted; break;
      default: ++outcome.failed; break;
    }
  }
  outcome.stop_signal = interrupt_signal();
  return outcome;
}

}  // namespace torchsweep
