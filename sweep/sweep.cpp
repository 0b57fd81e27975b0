#include "sweep/sweep.h"

#include <c10/util/hash.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "base/error_list.h"
#include "spec/fields.h"
#include "spec/overrides.h"
#include "spec/spec.h"
#include "spec/spec_loader.h"
#include "sweep/gp_sampler.h"
#include "sweep/tpe_sampler.h"
#include "sweep/wandb_sweep.h"

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

void check_new_axis(const std::vector<SweepAxis>& axes, const std::string& key, const Mark& mark) {
  for (const auto& axis : axes)
    if (axis.key == key)
      throw SpecError(mark, key, "swept twice (also at line " + std::to_string(axis.mark.line) +
                                     "), expected one list per key");
}

void check_new_axis_key(const std::string& key, const Mark& mark) {
  if (key == "name" || key == "description")
    throw SpecError(mark, key,
                    "cannot be swept: it changes nothing of the training, so every run would train the same "
                    "configuration; give one " + key + " for the sweep");
}

void add_axis(std::vector<SweepAxis>& axes, const std::string& key, const SpecNode& list) {
  check_new_axis_key(key, list.mark());
  check_new_axis(axes, key, list.mark());
  if (list.items().empty())
    throw SpecError(list.mark(), key, "expected a non-empty list of values to sweep, got []");
  SweepAxis axis;
  axis.key = key;
  axis.values = list.items();
  axis.distribution = choice_of(list);
  axis.mark = list.mark();
  axes.push_back(std::move(axis));
}

std::string sha1_hex(const std::string& text) { return c10::sha1(text).str(); }

/// The axes, each checked on its own: the problems of the ones that cannot be axes
/// go to `errors`, and those are left out.
std::vector<SweepAxis> collect_axes(const SpecNode& root, ErrorList& errors) {
  std::vector<SweepAxis> axes;
  for (const auto& entry : root.entries()) {
    if (entry.key == "sweep") continue;
    if (sweeps_at(root, {entry.key}, entry.value)) {
      errors.attempt([&] { add_axis(axes, entry.key, entry.value); });
      continue;
    }
    if (!entry.value.is_map()) continue;
    for (const auto& option : entry.value.entries())
      if (sweeps_at(root, {entry.key, option.key}, option.value))
        errors.attempt([&] { add_axis(axes, entry.key + "." + option.key, option.value); });
  }
  const SpecNode* sweep = root.find("sweep");
  const SpecNode* parameters = sweep && sweep->is_map() ? sweep->find("parameters") : nullptr;
  if (parameters && parameters->is_map()) {
    const SpecNode* mode = sweep->find("mode");
    // tpe and bayes draw their first runs as random mode does, and propose from the same distributions.
    const bool random = mode && mode->kind() == SpecNode::Kind::String &&
                        (mode->as_string() == "random" || mode->as_string() == "tpe" || mode->as_string() == "bayes");
    for (const auto& p : parameters->entries()) {
      const std::string key = "sweep.parameters." + p.key;
      errors.attempt([&] {
        if (is_distribution(p.value)) {
          if (!random)
            throw SpecError(p.value.mark(), key, "a distribution needs sweep.mode: random; in grid and zip mode give a list");
          check_new_axis_key(p.key, p.key_mark);
          check_new_axis(axes, p.key, p.key_mark);
          SweepAxis axis;
          axis.key = p.key;
          axis.distribution = parse_distribution(p.value, key);
          axis.is_distribution = true;
          axis.mark = p.key_mark;
          axes.push_back(std::move(axis));
          return;
        }
        if (!p.value.is_list())
          throw SpecError(p.value.mark(), key,
                          random ? "expected a list to choose from or a distribution, got " + p.value.describe()
                                 : "expected a list of values to sweep, got " + p.value.describe());
        add_axis(axes, p.key, p.value);
        axes.back().mark = p.key_mark;
      });
    }
  }
  return axes;
}

}  // namespace

std::vector<SweepAxis> collect_axes(const SpecNode& root) {
  ErrorList errors;
  std::vector<SweepAxis> axes = collect_axes(root, errors);
  errors.throw_if_any();
  return axes;
}

std::string config_hash(const nlohmann::json& config) { return sha1_hex(config.dump()).substr(0, 16); }

namespace {

/// Most problems one expansion reports: beyond them, more runs would mostly repeat them.
constexpr size_t kMostErrorsReported = 20;

/// The spec as its first run when the sweep cannot be expanded: each list in place at
/// its first value, without the sweep section.
SpecNode first_run_tree(const SpecNode& root) {
  SpecNode tree = root;
  tree.erase("sweep");
  for (auto& entry : tree.entries()) {
    if (sweeps_at(root, {entry.key}, entry.value)) {
      if (!entry.value.items().empty()) entry.value = SpecNode(entry.value.items().front());
      continue;
    }
    if (!entry.value.is_map()) continue;
    for (auto& option : entry.value.entries())
      if (sweeps_at(root, {entry.key, option.key}, option.value) && !option.value.items().empty())
        option.value = SpecNode(option.value.items().front());
  }
  return tree;
}

/// Why a random sweep over finite axes cannot draw `samples` different points, and
/// the ways out: fewer samples, the grid, or a distribution for an axis of real
/// numbers (bounded by its list's smallest and largest values, so that the hint runs
/// as shown).
std::string too_few_points(const std::vector<SweepAxis>& axes, double space, int64_t samples) {
  std::string sizes;
  const SweepAxis* real = nullptr;
  for (const auto& axis : axes) {
    sizes += (sizes.empty() ? "" : ", ") + axis.key + ": " +
             std::to_string(static_cast<long long>(distinct_values(axis.distribution))) + " values";
    const bool numbers = std::all_of(axis.values.begin(), axis.values.end(), [](const SpecNode& v) { return v.is_number(); });
    const bool fractions = std::any_of(axis.values.begin(), axis.values.end(),
                                       [](const SpecNode& v) { return v.kind() == SpecNode::Kind::Float; });
    if (!real && numbers && fractions && axis.values.size() > 1) real = &axis;
  }
  const auto count = static_cast<long long>(space);
  std::string message = "the axes have " + std::to_string(count) + " distinct points (" + sizes + "), fewer than the " +
                        std::to_string(samples) + " samples asked for: ask for at most " + std::to_string(count) +
                        ", take every point with mode grid, or sweep a key over a distribution";
  if (!real) return message;
  const auto [low, high] = std::minmax_element(real->values.begin(), real->values.end(),
                                               [](const SpecNode& a, const SpecNode& b) { return a.as_double() < b.as_double(); });
  if (!(high->as_double() > low->as_double())) return message;
  const std::string interval = "interval(" + low->describe() + ", " + high->describe() + ")";
  return message + ", e.g. the override '" + real->key + "=" +
         (low->as_double() > 0 ? "tag(log, " + interval + ")" : interval) + "'";
}

bool is_search_mode(const std::string& mode) { return mode == "tpe" || mode == "bayes"; }

/// The runs a tpe or bayes sweep draws at random before its model proposes:
/// sweep.startup, else Optuna's 10 for tpe and W&B's 2 for bayes, at most samples.
int64_t search_startup(const nlohmann::json& settings) {
  const int64_t startup = !settings["startup"].is_null() ? settings["startup"].get<int64_t>()
                          : settings["mode"] == "tpe"    ? TpeOptions{}.startup_trials
                                                         : GpOptions{}.startup_trials;
  return std::min(startup, settings["samples"].get<int64_t>());
}

/// The draws are seeded by sweep.seed, else by the spec's seed when it is one number.
uint64_t draw_seed(const nlohmann::json& settings, const SpecNode& root) {
  if (!settings["seed"].is_null()) return settings["seed"].get<uint64_t>();
  if (const SpecNode* s = root.find("seed"); s && s->kind() == SpecNode::Kind::Int && s->as_int() >= 0)
    return static_cast<uint64_t>(s->as_int());
  return 0;
}

/// Each point of the sweep as one value per axis, in run order.
std::vector<std::vector<SpecNode>> sweep_points(const std::vector<SweepAxis>& axes, const nlohmann::json& settings,
                                                const SpecNode& root) {
  std::vector<std::vector<SpecNode>> points;
  const std::string mode = settings["mode"];
  if (mode == "random" || is_search_mode(mode)) {
    const auto samples = settings["samples"].get<int64_t>();
    const SpecNode* sweep = root.find("sweep");
    if (samples > static_cast<int64_t>(kMaxRunsPerSweep))
      throw SpecError(sweep->find("samples")->mark(), "sweep.samples",
                      "expected at most " + std::to_string(kMaxRunsPerSweep) + " points, got " + std::to_string(samples));
    const uint64_t seed = draw_seed(settings, root);
    // A point is drawn again when it was drawn before: a sweep trains each point once.
    // Where every axis is a finite set, there may be fewer points than samples.
    double space = 1;
    for (const auto& axis : axes) space *= distinct_values(axis.distribution);
    if (space < static_cast<double>(samples))
      throw SpecError(sweep->find_entry("samples")->key_mark, "sweep.samples", too_few_points(axes, space, samples));
    // tpe and bayes plan their start-up runs only: the first draws random mode makes.
    const int64_t planned = is_search_mode(mode) ? search_startup(settings) : samples;
    Sampler sampler(seed);
    std::set<std::string> drawn;
    while (static_cast<int64_t>(points.size()) < planned) {
      std::vector<SpecNode> point;
      std::string identity;
      for (const auto& axis : axes) {
        point.push_back(sampler.draw(axis.distribution));
        identity += to_json(point.back()).dump() + "\x1f";
      }
      if (drawn.insert(identity).second) points.push_back(std::move(point));
    }
    return points;
  }
  if (axes.empty()) return {{}};
  if (mode == "zip") {
    for (const auto& axis : axes)
      if (axis.values.size() != axes.front().values.size())
        throw SpecError(axis.mark, axis.key,
                        "zip sweeps need lists of one length: " + axes.front().key + " has " +
                            std::to_string(axes.front().values.size()) + " values, this has " +
                            std::to_string(axis.values.size()));
    for (size_t i = 0; i < axes.front().values.size(); ++i) {
      std::vector<SpecNode> point;
      for (const auto& axis : axes) point.push_back(axis.values[i]);
      points.push_back(std::move(point));
    }
    return points;
  }
  double total = 1;
  for (const auto& axis : axes) total *= static_cast<double>(axis.values.size());
  if (total > static_cast<double>(kMaxRunsPerSweep))
    throw SpecError(axes.front().mark, axes.front().key,
                    "the grid has " + std::to_string(static_cast<long long>(total)) + " runs, expected at most " +
                        std::to_string(kMaxRunsPerSweep));
  std::vector<size_t> counter(axes.size(), 0);
  for (size_t n = 0; n < static_cast<size_t>(total); ++n) {
    std::vector<SpecNode> point;
    for (size_t a = 0; a < axes.size(); ++a) point.push_back(axes[a].values[counter[a]]);
    points.push_back(std::move(point));
    for (size_t d = axes.size(); d-- > 0;) {  // odometer: the last axis turns fastest
      if (++counter[d] < axes[d].values.size()) break;
      counter[d] = 0;
    }
  }
  return points;
}


/// The runs' budget as the early-stopping rule reads it: each axis's budget where every
/// run has the same (a swept budget leaves max_resource to the spec).
RunBudget run_budget(const std::vector<RunConfig>& runs) {
  auto same = [&](const char* key) -> int64_t {
    const nlohmann::json& first = runs.front().config.at("train").at(key);
    if (!first.is_number_integer()) return 0;
    for (const auto& run : runs)
      if (run.config.at("train").at(key) != first) return 0;
    return first.get<int64_t>();
  };
  RunBudget budget;
  budget.epochs = same("epochs");
  budget.steps = same("steps");
  budget.axis = runs.front().config.at("train").at("epochs").is_null() ? MetricAxis::Step : MetricAxis::Epoch;
  return budget;
}

/// The plan of a spec whose sweep section is `root`'s (translated from W&B's spelling,
/// with the translation's problems already in `errors`).
SweepPlan expand(const SpecNode& written, const SpecNode& root, ErrorList& errors, const std::string& spec_path,
                 const std::vector<std::string>& overrides) {
  SweepPlan plan;
  plan.spec_path = spec_path;
  plan.overrides = overrides;
  // The sweep's settings, its axes and the rest of the spec are checked each on its
  // own, so that every mistake among them is reported at once. Whether a
  // distribution may be drawn depends on the mode, so the axes of a sweep section
  // that did not translate or validate are not checked yet.
  const bool translated = errors.empty();
  nlohmann::json settings;
  const bool settled = errors.attempt([&] { settings = validate_sweep_section(root); }) && translated;
  const std::vector<SweepAxis> axes = settled ? collect_axes(root, errors) : std::vector<SweepAxis>{};
  if (!errors.empty()) {
    // What the spec's first run would show, less what was said already (`lr: []` is
    // not a sweep, and not a learning rate either).
    ErrorList run_errors;
    run_errors.attempt([&] { validate_run_spec(first_run_tree(root)); });
    for (const auto& error : run_errors.errors()) errors.add_unless_reported(error);
    errors.throw_if_any();
  }
  plan.mode = settings["mode"].get<std::string>();
  plan.repeats = settings["repeats"].get<int64_t>();
  plan.fuse = settings["fuse"].get<std::string>();
  if (is_search_mode(plan.mode)) {
    plan.search.metric = settings["metric"]["name"].get<std::string>();
    plan.search.goal = settings["metric"]["goal"].get<std::string>();
    plan.search.samples = settings["samples"].get<int64_t>();
    plan.search.startup = search_startup(settings);
    plan.search.seed = draw_seed(settings, root);
    for (const auto& axis : axes) plan.search.space.push_back({axis.key, axis.distribution});
    if (axes.empty())
      throw SpecError(root.find("sweep")->find_entry("mode")->key_mark, "sweep.mode",
                      plan.mode + " proposes values for the swept keys, and nothing is swept: give sweep.parameters "
                                  "such as `optimizer.lr: {distribution: log_uniform, low: 1e-5, high: 1}`");
  }
  for (const auto& axis : axes) plan.swept_keys.push_back(axis.key);
  for (const auto& axis : axes)
    if (axis.key == "seed" && plan.repeats > 1)
      throw SpecError(root.find("sweep")->find("repeats")->mark(), "sweep.repeats",
                      "seed is swept (line " + std::to_string(axis.mark.line) +
                          "), so repeats would repeat seeds: sweep seed or set repeats, not both");
  const auto points = sweep_points(axes, settings, root);
  if (static_cast<double>(points.size()) * static_cast<double>(plan.repeats) > static_cast<double>(kMaxRunsPerSweep)) {
    const SpecNode* sweep = root.find("sweep");
    const SpecNode* repeats = sweep ? sweep->find("repeats") : nullptr;
    if (repeats && plan.repeats > 1)
      throw SpecError(repeats->mark(), "sweep.repeats",
                      std::to_string(points.size()) + " points × " + std::to_string(plan.repeats) +
                          " repeats exceed " + std::to_string(kMaxRunsPerSweep) + " runs");
    // Only axes can make this many points (a sweep without axes has one).
    throw SpecError(axes.front().mark, axes.front().key,
                    std::to_string(points.size()) + " points exceed " + std::to_string(kMaxRunsPerSweep) +
                        " runs, the most a sweep may have");
  }
  if (plan.repeats > 1) plan.swept_keys.push_back("seed");

  // Each run's tree is a copy of `base`. The swept values are taken out of it first, so
  // that a copy costs the size of the rest of the spec, not that of the swept lists
  // (copying an 8,000-value list for each of its 8,000 runs made expansion quadratic).
  SpecNode base = root;
  base.erase("sweep");
  if (!points.empty()) {
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto path = split_path(axes[a].key);
      std::string blocked;
      if (SpecNode* parent = parent_for(base, path, points.front()[a].mark(), blocked))
        parent->set(path.back(), points.front()[a], points.front()[a].mark());
    }
  }
  // Every run is validated, and the problems of all of them reported, up to
  // kMostErrorsReported: each once (a distribution's bad draws are one problem).
  for (const auto& point : points) {
    nlohmann::json config;
    ErrorList run_errors;
    const bool valid = run_errors.attempt([&] {
      SpecNode tree = base;
      for (size_t a = 0; a < axes.size(); ++a) {
        const SpecNode& value = point[a];
        const auto path = split_path(axes[a].key);
        std::string blocked;
        SpecNode* parent = parent_for(tree, path, value.mark(), blocked);
        if (!parent)
          throw SpecError(axes[a].mark, axes[a].key, "cannot sweep it: '" + blocked + "' is not a mapping");
        parent->set(path.back(), value, value.mark());
      }
      config = validate_run_spec(tree);
      // Repeats count seeds up from the spec's: the last must still be a seed.
      if (config["seed"].get<int64_t>() > std::numeric_limits<int64_t>::max() - (plan.repeats - 1)) {
        const SpecNode* seed = tree.find("seed");
        throw SpecError(seed ? seed->mark() : root.find("sweep")->find("repeats")->mark(), "seed",
                        config["seed"].dump() + " + " + std::to_string(plan.repeats - 1) +
                            " repeats would pass the largest seed (" +
                            std::to_string(std::numeric_limits<int64_t>::max()) + "), expected a smaller seed");
      }
    });
    if (!valid) {
      for (const auto& error : run_errors.errors()) errors.add_unless_reported(error);
      if (errors.size() >= kMostErrorsReported) break;
      continue;
    }
    for (int64_t r = 0; r < plan.repeats; ++r) {
      RunConfig run;
      run.index = static_cast<int64_t>(plan.runs.size());
      run.config = config;
      run.config["seed"] = config["seed"].get<int64_t>() + r;
      run.swept = nlohmann::json::object();
      for (const auto& key : plan.swept_keys) {
        const nlohmann::json* v = &run.config;
        for (const auto& part : split_path(key)) v = &(*v)[part];
        run.swept[key] = *v;
      }
      run.config_hash = config_hash(hashed_config(run.config));
      plan.runs.push_back(std::move(run));
    }
  }
  if (const SpecNode* sweep = root.find("sweep"); sweep && sweep->is_map() && !plan.runs.empty())
    if (const SpecNode* early = sweep->find("early_stop"); early && !early->is_null())
      errors.attempt([&] { plan.early_stop = parse_early_stopping(*early, run_budget(plan.runs)); });
  errors.throw_if_any();
  if (!settings["max_runs"].is_null() && plan.runs.size() > settings["max_runs"].get<size_t>())
    throw SpecError(root.find("sweep")->find_entry("max_runs")->key_mark, "sweep.max_runs",
                    "the sweep expands to " + std::to_string(plan.runs.size()) + " runs, more than its cap of " +
                        settings["max_runs"].dump() + "; every point of a grid runs here, so raise the cap or sweep less");
  // The same configuration twice would be the same run trained twice.
  std::map<std::string, size_t> first_with;
  for (const auto& run : plan.runs) {
    const auto [it, fresh] = first_with.emplace(run.config_hash, run.index);
    if (!fresh)
      throw SpecError(axes.empty() ? root.mark() : axes.front().mark, axes.empty() ? "" : axes.front().key,
                      "runs " + std::to_string(it->second + 1) + " and " + std::to_string(run.index + 1) +
                          " would train the same configuration (" + run.swept.dump() +
                          "); give each value once");
  }
  plan.name = plan.runs.front().config["name"].get<std::string>();
  plan.description = plan.runs.front().config["description"].get<std::string>();
  nlohmann::json spec = to_json(written);
  plan.spec_text = spec.dump(2);
  plan.spec_hash = sha1_hex(spec.dump()).substr(0, 16);
  return plan;
}

}  // namespace

SweepPlan plan_sweep(const SpecNode& written, const std::string& spec_path, const std::vector<std::string>& overrides) {
  ErrorList errors;
  const NativeSweep native = translate_wandb_sweep(written, errors);
  // Whatever is found after the translation names the keys as the user wrote them.
  ErrorList found;
  try {
    return expand(written, native.root, errors, spec_path, overrides);
  } catch (const SpecErrors& e) {
    for (const auto& error : e.errors()) found.add(error);
  } catch (const SpecError& e) {
    found.add(e);
  }
  found.rename_keys([&](const std::string& key) { return native.user_key(key); });
  found.throw_if_any();
  throw std::logic_error("plan_sweep: an error without errors");
}

nlohmann::json search_settings_to_json(const SearchSettings& settings) {
  return {{"metric", settings.metric},   {"goal", settings.goal}, {"samples", settings.samples},
          {"startup", settings.startup}, {"seed", settings.seed}, {"space", search_space_to_json(settings.space)}};
}

SearchSettings search_settings_from_json(const nlohmann::json& recorded) {
  SearchSettings settings;
  try {
    settings.metric = recorded.at("metric").get<std::string>();
    settings.goal = recorded.at("goal").get<std::string>();
    settings.samples = recorded.at("samples").get<int64_t>();
    settings.startup = recorded.at("startup").get<int64_t>();
    settings.seed = recorded.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("recorded search settings: ") + e.what());
  }
  if (settings.goal != "minimize" && settings.goal != "maximize")
    throw std::invalid_argument("recorded search settings: goal " + settings.goal);
  settings.space = search_space_from_json(recorded.at("space"));
  return settings;
}

uint64_t proposal_seed(uint64_t seed, int64_t index) {
  // SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014) over the pair: nearby
  // seeds and indices give unrelated generator states.
  uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(index) + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

RunConfig proposed_run(const SpecNode& written, const SearchSpace& space, const nlohmann::json& point, int64_t index) {
  SpecNode tree = with_native_sweep(written);
  tree.erase("sweep");
  RunConfig run;
  run.index = index;
  run.swept = nlohmann::json::object();
  for (const auto& dimension : space) {
    const auto it = point.find(dimension.key);
    if (it == point.end())
      throw SpecError(dimension.distribution.mark, dimension.key, "the proposed point " + point.dump() + " has no value for it");
    const SpecNode value = from_json(*it, dimension.distribution.mark);
    const auto path = split_path(dimension.key);
    std::string blocked;
    SpecNode* parent = parent_for(tree, path, value.mark(), blocked);
    if (!parent)
      throw SpecError(dimension.distribution.mark, dimension.key, "cannot sweep it: '" + blocked + "' is not a mapping");
    parent->set(path.back(), value, value.mark());
  }
  run.config = validate_run_spec(tree);
  for (const auto& dimension : space) {
    const nlohmann::json* v = &run.config;
    for (const auto& part : split_path(dimension.key)) v = &(*v)[part];
    run.swept[dimension.key] = *v;
  }
  run.config_hash = config_hash(hashed_config(run.config));
  return run;
}

SweepPlan load_sweep(const std::string& spec_path, const std::vector<std::string>& overrides) {
  SpecNode root = load_spec_file(spec_path);
  apply_overrides(root, overrides);
  return plan_sweep(root, spec_path, overrides);
}

}  // namespace torchsweep
