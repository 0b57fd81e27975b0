#include "runner/sweep_runner.h"

#include <fmt/format.h>

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

SweepOutcome run_sweep(const SweepPlan& plan, Store& store, std::ostream& out, const std::string& command_line) {
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
  SweepOutcome outcome;
  std::tie(outcome.sweep_id, outcome.run_ids) = store.create_sweep(sweep, runs);
  out << fmt::format("sweep {} '{}': {} run(s) into {}\n", outcome.sweep_id, plan.name, plan.runs.size(),
                     store.db().path());

  const Environment env = current_environment(command_line);
  const RunEnvironment base{"", "", env.host, env.torchsweep_version, env.torch_version, env.git_commit,
                            env.command_line};
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const auto& run = plan.runs[i];
    const int64_t run_id = outcome.run_ids[i];
    SqliteSink db_sink(store, run_id, base);
    const std::string swept = swept_label(run.swept);
    ConsoleSink console(out, fmt::format("run {} [{}/{}]{}{}", run_id, i + 1, plan.runs.size(),
                                         swept.empty() ? "" : "  ", swept));
    FanoutSink sink({&db_sink, &console});
    const TrainOutcome result = train_run(run.config, sink);
    switch (result.status) {
      case RunStatus::Finished: ++outcome.finished; break;
      case RunStatus::Diverged: ++outcome.diverged; break;
      default: ++outcome.failed; break;
    }
  }
  return outcome;
}

}  // namespace torchsweep
