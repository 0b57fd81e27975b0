#include "cli/spec_commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

#include "base/spec_node.h"
#include "cli/command_table.h"
#include "models/summary.h"
#include "results/table.h"
#include "spec/fields.h"
#include "spec/overrides.h"
#include "spec/registries.h"
#include "spec/spec.h"
#include "spec/training_plan.h"

namespace torchsweep {

namespace {

Table plan_table(const SweepPlan& plan) {
  Table table;
  table.columns = {"run", "config_hash"};
  for (const auto& key : plan.swept_keys) table.columns.push_back(key);
  for (const auto& run : plan.runs) {
    std::vector<SqlValue> row = {run.index, run.config_hash};
    for (const auto& key : plan.swept_keys) {
      const auto& v = run.swept.at(key);
      if (v.is_number_integer()) row.emplace_back(v.get<int64_t>());
      else if (v.is_number()) row.emplace_back(v.get<double>());
      else if (v.is_string()) row.emplace_back(v.get<std::string>());
      else row.emplace_back(v.dump());
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace

void print_plan(const SweepPlan& plan, std::ostream& out) {
  out << fmt::format("sweep '{}': {} run(s)", plan.name, plan.runs.size());
  if (!plan.swept_keys.empty()) out << fmt::format(" ({} over {})", plan.mode, join(plan.swept_keys));
  out << "\n";
  render(plan_table(plan), TableFormat::Table, out);
  // How each distinct training plan runs: budget, evaluations, checkpoints, schedule.
  std::vector<std::pair<nlohmann::json, std::vector<int64_t>>> groups;
  for (const auto& run : plan.runs) {
    const auto& c = run.config;
    const bool scheduled = !c["scheduler"].is_null();
    nlohmann::json key = {{"train", c["train"]}, {"data", c["data"]}, {"scheduler", c["scheduler"]},
                          {"lr", scheduled ? c["optimizer"].value("lr", nlohmann::json()) : nlohmann::json()}};
    key["train"].erase("threads");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) groups.push_back({key, {}}), it = groups.end() - 1;
    it->second.push_back(run.index);
  }
  constexpr size_t kShown = 3;
  for (size_t g = 0; g < std::min(groups.size(), kShown); ++g) {
    const auto& runs = groups[g].second;
    if (groups.size() == 1)
      out << "training plan:\n";
    else
      out << fmt::format("training plan of run{} {}:\n", runs.size() == 1 ? "" : "s",
                         runs.size() <= 8 ? fmt::format("{}", fmt::join(runs, ", "))
                                          : fmt::format("{}, {}, … ({} runs)", runs[0], runs[1], runs.size()));
    for (const auto& line : describe_training(plan.runs[static_cast<size_t>(runs.front())].config))
      out << "  " << line << "\n";
  }
  if (groups.size() > kShown) out << fmt::format("… and {} more training plans\n", groups.size() - kShown);
}

namespace {

template <class Registry>
void list_registry(const Registry& registry, const std::string& title, std::ostream& out) {
  Table table;
  table.columns = {title, "description"};
  for (const auto& name : registry.names()) table.rows.push_back({name, registry.get(name).description});
  render(table, TableFormat::Table, out);
  out << "\n";
}

void print_models(std::ostream& out) {
  auto& r = registries();
  Table models;
  models.columns = {"model", "parameters", "description"};
  for (const auto& name : r.models.names()) {
    const auto& entry = r.models.get(name);
    int64_t count = -1;
    try {  // instantiate with the defaults to count parameters (a model without defaults has none)
      count = count_parameters(*entry.factory(validate_fields(SpecNode::map({}), entry.options, "model")));
    } catch (const std::exception&) {
    }
    models.rows.push_back({name, count < 0 ? SqlValue("-") : SqlValue(count), entry.description});
  }
  render(models, TableFormat::Table, out);
  out << "\n";
  list_registry(r.datasets, "dataset", out);
  list_registry(r.losses, "loss", out);
  list_registry(r.optimizers, "optimizer", out);
  list_registry(r.schedules, "scheduler", out);
}

/// A model from its registry name and key=value options, validated like a spec's model section.
std::shared_ptr<Model> build_model(const std::string& name, const std::vector<std::string>& options) {
  const Mark mark{"command line", 0, 0};
  SpecNode section = SpecNode::map(mark);
  section.set("name", SpecNode::string(name, mark), mark);
  SpecNode root = SpecNode::map(mark);
  root.set("model", section, mark);
  std::vector<std::string> overrides;
  for (const auto& o : options) {
    const size_t prefix = o.find_first_not_of("+~");
    overrides.push_back(o.substr(0, prefix) + "model." + o.substr(prefix == std::string::npos ? o.size() : prefix));
  }
  apply_overrides(root, overrides);
  const auto resolved = validate_section(root, "model");
  return registries().models.get(name).factory(resolved);
}

struct SpecOptions {
  std::string spec_path;
  std::vector<std::string> overrides;
  std::string model_name;
  std::vector<std::string> model_options;
};

}  // namespace

void add_spec_commands(CLI::App& app, CliContext& context, Commands& commands) {
  auto options = std::make_shared<SpecOptions>();
  auto* validate = app.add_subcommand("validate", describe_command("validate"));
  validate->add_option("spec", options->spec_path, "the spec file")->required();
  add_overrides_argument(validate, options->overrides);
  commands.add(validate, [options, &context] {
    print_plan(load_sweep(options->spec_path, options->overrides), context.out);
    return 0;
  });

  auto* models = app.add_subcommand("models", describe_command("models"));
  commands.add(models, [&context] {
    print_models(context.out);
    return 0;
  });

  auto* summary = app.add_subcommand("summary", describe_command("summary"));
  summary->add_option("model", options->model_name, "a registered model (see torchsweep models)")->required();
  summary->add_option("options", options->model_options, "the model's options as key=value, e.g. dropout=0.1");
  commands.add(summary, [options, &context] {
    print_summary(summarize_model(*build_model(options->model_name, options->model_options)), context.out);
    return 0;
  });
}

}  // namespace torchsweep
