#include "runner/sweep_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "results/sqlite_sink.h"
#include "runner/console_sink.h"
#include "runner/environment.h"
#include "runner/trainer.h"

namespace torchsweep {

namespace {
void flatten_into(const nlohmann::json& value, const std::string& prefix,
                  std::vector<std::pair<std::string, SqlValue>>& out) {
  if (value.is_object()) {
    for (const auto& item : value.items()) flatten_into(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
    return;
  }
  if (value.is_null()) out.emplace_back(prefix, nullptr);
  else if (value.is_boolean()) out.emplace_back(prefix, static_cast<int64_t>(value.get<bool>()));
  else if (value.is_number_integer()) out.emplace_back(prefix, value.get<int64_t>());
  else if (value.is_number()) out.emplace_back(prefix, value.get<double>());
  else if (value.is_string()) out.emplace_back(prefix, value.get<std::string>());
  else out.emplace_back(prefix, value.dump());
}

std::string swept_label(const nlohmann::json& swept) {
  std::string label;
  for (const auto& item : swept.items())
    label += (label.empty() ? "" : " ") + item.key() + "=" +
             (item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
  return label;
}
}  // namespace

std::vector<std::pair<std::string, SqlValue>> flatten_config(const nlohmann::json& config) {
  std::vector<std::pair<std::string, SqlValue>> out;
  flatten_into(config, "", out);
  return out;
}

std::string default_artifacts_root(const std::string& db_path) {
  std::string stem = db_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  return stem + "-artifacts";
}

SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const SweepRunOptions& options) {
  SweepOutcome outcome;
  std::vector<std::string> statuses(plan.runs.size(), "pending");
  if (options.resume) {
    auto [sweep_id, existing] = store.find_sweep(plan.spec_hash);
    bool matches = sweep_id != 0 && existing.size() == plan.runs.size();
    for (size_t i = 0; matches && i < existing.size(); ++i) matches = existing[i].config_hash == plan.runs[i].config_hash;
    if (matches) {
      outcome.sweep_id = sweep_id;
      for (size_t i = 0; i < existing.size(); ++i) {
        outcome.run_ids.push_back(existing[i].id);
        statuses[i] = existing[i].status;
      }
      out << fmt::format("resuming sweep {} '{}' in {}\n", sweep_id, plan.name, store.db().path());
    } else {
      out << "nothing to resume for this spec in " << store.db().path() << ": starting a new sweep\n";
    }
  }
  if (outcome.sweep_id == 0) {
    NewSweep sweep{plan.name, plan.spec_text, plan.spec_hash, plan.spec_path, nlohmann::json(plan.overrides).dump(),
                   plan.mode};
    std::vector<NewRun> runs;
    for (const auto& run : plan.runs) {
      NewRun r;
      r.index = run.index;
      r.config_hash = run.config_hash;
      r.config_json = run.config.dump();
      r.swept_json = run.swept.dump();
      r.seed = run.config.at("seed").get<int64_t>();
      r.device = run.config.at("device").get<std::string>();
      r.params = flatten_config(run.config);
      runs.push_back(std::move(r));
    }
    std::tie(outcome.sweep_id, outcome.run_ids) = store.create_sweep(sweep, runs);
    out << fmt::format("sweep {} '{}': {} run(s) into {}\n", outcome.sweep_id, plan.name, plan.runs.size(),
                       store.db().path());
  }

  const Environment env = current_environment(options.command_line);
  const RunEnvironment base{"", "", env.host, env.torchsweep_version, env.torch_version, env.git_commit,
                            env.command_line};
  const std::string artifacts =
      options.artifacts_root.empty() ? default_artifacts_root(store.db().path()) : options.artifacts_root;
  // Progress bars only on a terminal; plain periodic lines otherwise.
  const bool interactive = &out == &std::cout && ::isatty(STDOUT_FILENO);
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    const int64_t run_id = outcome.run_ids[i];
    const std::string swept = swept_label(run.swept);
    const std::string label =
        fmt::format("run {} [{}/{}]{}{}", run_id, i + 1, plan.runs.size(), swept.empty() ? "" : "  ", swept);
    if (statuses[i] == "finished" || statuses[i] == "diverged") {
      out << label << "  already " << statuses[i] << ", skipped\n";
      ++outcome.skipped;
      continue;
    }
    TrainOptions train_options;
    train_options.checkpoint_dir = artifacts + "/run-" + std::to_string(run_id);
    train_options.resume = options.resume;
    store.set_artifact_dir(run_id, train_options.checkpoint_dir);
    SqliteSink db_sink(store, run_id, base);
    ConsoleSink console(out, label, interactive);
    FanoutSink sink({&db_sink, &console});
    const TrainOutcome result = train_run(run.config, sink, train_options);
    switch (result.status) {
      case RunStatus::Finished: ++outcome.finished; break;
      case RunStatus::Diverged: ++outcome.diverged; break;
      default: ++outcome.failed; break;
    }
  }
  return outcome;
}

}  // namespace torchsweep
