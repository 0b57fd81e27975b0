#include "runner/sweep.h"

#include <c10/util/hash.h>

#include "runner/overrides.h"
#include "runner/spec.h"
#include "runner/spec_loader.h"

namespace torchsweep {

namespace {

bool sweeps_at(const SpecNode& root, const std::vector<std::string>& path, const SpecNode& value) {
  if (!value.is_list()) return false;
  const Field* field = field_at(root, path);
  if (!field) return false;  // unknown keys are reported by validation
  if (field->is_scalar()) return true;
  // A list-valued option sweeps when given a list of lists.
  return !value.items().empty() && value.items().front().is_list();
}

void add_axis(std::vector<SweepAxis>& axes, const std::string& key, const SpecNode& list) {
  for (const auto& axis : axes)
    if (axis.key == key)
      throw SpecError(list.mark(), key, "swept twice (also at line " + std::to_string(axis.mark.line) +
                                            "), expected one list per key");
  if (list.items().empty())
    throw SpecError(list.mark(), key, "expected a non-empty list of values to sweep, got []");
  axes.push_back({key, list.items(), list.mark()});
}

std::string sha1_hex(const std::string& text) { return c10::sha1(text).str(); }

}  // namespace

std::vector<SweepAxis> collect_axes(const SpecNode& root) {
  std::vector<SweepAxis> axes;
  for (const auto& entry : root.entries()) {
    if (entry.key == "sweep") continue;
    if (sweeps_at(root, {entry.key}, entry.value)) {
      add_axis(axes, entry.key, entry.value);
      continue;
    }
    if (!entry.value.is_map()) continue;
    for (const auto& option : entry.value.entries())
      if (sweeps_at(root, {entry.key, option.key}, option.value))
        add_axis(axes, entry.key + "." + option.key, option.value);
  }
  const SpecNode* sweep = root.find("sweep");
  const SpecNode* parameters = sweep && sweep->is_map() ? sweep->find("parameters") : nullptr;
  if (parameters && parameters->is_map()) {
    for (const auto& p : parameters->entries()) {
      if (!p.value.is_list())
        throw SpecError(p.value.mark(), "sweep.parameters." + p.key,
                        "expected a list of values to sweep, got " + p.value.describe());
      add_axis(axes, p.key, p.value);
      axes.back().mark = p.key_mark;
    }
  }
  return axes;
}

std::string config_hash(const nlohmann::json& config) { return sha1_hex(config.dump()).substr(0, 16); }

SweepPlan plan_sweep(const SpecNode& root, const std::string& spec_path, const std::vector<std::string>& overrides) {
  SweepPlan plan;
  plan.spec_path = spec_path;
  plan.overrides = overrides;
  plan.mode = validate_sweep_section(root);
  const std::vector<SweepAxis> axes = collect_axes(root);
  for (const auto& axis : axes) plan.swept_keys.push_back(axis.key);

  // Index tuples of the runs, in order.
  std::vector<std::vector<size_t>> combos;
  if (axes.empty()) {
    combos.push_back({});
  } else if (plan.mode == "zip") {
    for (const auto& axis : axes)
      if (axis.values.size() != axes.front().values.size())
        throw SpecError(axis.mark, axis.key,
                        "zip sweeps need lists of one length: " + axes.front().key + " has " +
                            std::to_string(axes.front().values.size()) + " values, this has " +
                            std::to_string(axis.values.size()));
    for (size_t i = 0; i < axes.front().values.size(); ++i) combos.push_back(std::vector<size_t>(axes.size(), i));
  } else {
    double total = 1;
    for (const auto& axis : axes) total *= static_cast<double>(axis.values.size());
    if (total > static_cast<double>(kMaxRunsPerSweep))
      throw SpecError(axes.front().mark, axes.front().key,
                      "the grid has " + std::to_string(static_cast<long long>(total)) + " runs, expected at most " +
                          std::to_string(kMaxRunsPerSweep));
    std::vector<size_t> counter(axes.size(), 0);
    for (size_t n = 0; n < static_cast<size_t>(total); ++n) {
      combos.push_back(counter);
      for (size_t d = axes.size(); d-- > 0;) {  // odometer: the last axis turns fastest
        if (++counter[d] < axes[d].values.size()) break;
        counter[d] = 0;
      }
    }
  }

  SpecNode base = root;
  base.erase("sweep");
  for (size_t r = 0; r < combos.size(); ++r) {
    SpecNode tree = base;
    RunConfig run;
    run.index = static_cast<int64_t>(r);
    run.swept = nlohmann::json::object();
    for (size_t a = 0; a < axes.size(); ++a) {
      const SpecNode& value = axes[a].values[combos[r][a]];
      const auto path = split_path(axes[a].key);
      std::string blocked;
      SpecNode* parent = parent_for(tree, path, value.mark(), blocked);
      if (!parent)
        throw SpecError(axes[a].mark, axes[a].key, "cannot sweep it: '" + blocked + "' is not a mapping");
      parent->set(path.back(), value, value.mark());
    }
    run.config = validate_run_spec(tree);
    for (const auto& axis : axes) {
      const nlohmann::json* v = &run.config;
      for (const auto& part : split_path(axis.key)) v = &(*v)[part];
      run.swept[axis.key] = *v;
    }
    // The description is commentary; the hash is over what changes a run.
    nlohmann::json hashed = run.config;
    hashed.erase("description");
    run.config_hash = config_hash(hashed);
    plan.runs.push_back(std::move(run));
  }
  plan.name = plan.runs.front().config["name"].get<std::string>();
  plan.description = plan.runs.front().config["description"].get<std::string>();
  nlohmann::json spec = to_json(root);
  plan.spec_text = spec.dump(2);
  plan.spec_hash = sha1_hex(spec.dump()).substr(0, 16);
  return plan;
}

SweepPlan load_sweep(const std::string& spec_path, const std::vector<std::string>& overrides) {
  SpecNode root = load_spec_file(spec_path);
  apply_overrides(root, overrides);
  return plan_sweep(root, spec_path, overrides);
}

}  // namespace torchsweep
