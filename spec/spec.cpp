#include "spec/spec.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "base/error_list.h"
#include "device/devices.h"
#include "spec/registries.h"
#include "spec/training_plan.h"

namespace torchsweep {

namespace {

const std::vector<Field>& top_fields() {
  static const std::vector<Field> fields = {
      Field::string("name", "", "names the sweep in the database").make_required().not_empty().single_line(),
      Field::string("description", "", "free text"),
      Field::integer("seed", 0, "seeds torch's generators and the data shuffle").at_least(0),
      Field::string("device", "auto", "auto, cpu, cuda or cuda:N").single_line(),
  };
  return fields;
}

const std::vector<Field>& train_fields() {
  static const std::vector<Field> fields = {
      Field::integer("steps", 0, "optimizer steps to take (or give epochs)").at_least(1).optional(),
      Field::integer("epochs", 0, "passes over the training data (or give steps)").at_least(1).optional(),
      Field::integer("log_every", 1, "log train/loss every this many steps").at_least(1),
      Field::cadence("eval_every", "evaluate (validation and test splits): `N epochs`, `N steps` or `end` "
                                   "(default: every epoch under an epoch budget, at the end under a step budget)"),
      Field::cadence("checkpoint_every", "write a checkpoint: `N epochs`, `N steps` or `end` (default as eval_every)"),
      Field::integer("threads", 0, "intra-op threads (0: the machine's cores)").at_least(0),
      Field::boolean("deterministic", false, "use only deterministic algorithms (bit-identical reruns)"),
      Field::choice("memory_format", "auto", {"auto", "contiguous", "channels_last"},
                    "how convolution weights are laid out: channels_last keeps the channel innermost, the CPU "
                    "convolution kernels' own layout (about 1.2x faster a step for the seed CNN on 2 cores; "
                    "numbers differ from contiguous by rounding); auto: channels_last for a model with "
                    "convolutions on the CPU, contiguous otherwise (runs.memory_format records which)"),
      Field::choice("precision", "fp32", {"fp32", "bf16", "fp16"},
                    "what the forward pass and loss compute in: fp32, or autocast to bf16 (CPU and CUDA) or fp16 "
                    "(CUDA only, with loss scaling); numbers differ from fp32"),
      Field::choice("cuda_graph", "auto", {"auto", "on", "off"},
                    "on CUDA, capture the whole training step once as a CUDA graph and replay it (auto: where "
                    "the run supports it; on: also say why a run cannot)"),
  };
  return fields;
}

const std::vector<Field>& sweep_fields() {
  static const std::vector<Field> fields = {
      Field::choice("mode", "grid", {"grid", "zip", "random", "tpe", "bayes"},
                    "how swept values combine: every combination, paired lists, random draws, or points proposed "
                    "from the finished runs (tpe: Optuna's TPE; bayes: W&B's Gaussian process)"),
      Field::integer("samples", 0, "random mode: how many points to draw; tpe and bayes: how many runs in all")
          .at_least(1)
          .optional(),
      Field::integer("seed", 0, "random, tpe and bayes: seeds the draws (default: the spec's seed)").at_least(0).optional(),
      // Checked by validate_sweep_section: {name, goal}.
      Field::any("metric", nullptr, "tpe and bayes: the metric to optimise, {name: val_loss, goal: minimize|maximize}")
          .optional(),
      Field::integer("startup", 0,
                     "tpe and bayes: runs drawn at random before the model proposes (default: 10 for tpe as Optuna, "
                     "2 for bayes as W&B)")
          .at_least(1)
          .optional(),
      Field::integer("repeats", 1, "runs per point, with seeds seed, seed+1, ..., seed+repeats-1").at_least(1),
      Field::choice("fuse", "auto", {"auto", "on", "off"},
                    "train runs that share device, train.threads, train.deterministic and data together, as the "
                    "lanes of one process (auto: none yet; on: also say why a run trains alone)"),
      Field::integer("max_runs", 0, "refuse the sweep when it expands to more runs than this (W&B's run_cap)")
          .at_least(1)
          .optional(),
      // Its keys are checked by the sweep (sweep/early_stopping), which knows the runs' budget.
      Field::any("early_stop", nullptr, "stop runs early: {rule: asha|hyperband|median|patience, metric, goal, ...}")
          .optional(),
  };
  return fields;
}

const Field& name_field() {
  static const Field field = Field::string("name", "", "registry name").make_required().single_line();
  return field;
}

/// The registry entry's options for a section, and the entry's name check.
template <class Registry>
const std::vector<Field>* entry_fields(const Registry& registry, const std::string& name) {
  return registry.has(name) ? &registry.get(name).options : nullptr;
}

const std::vector<Field>* section_fields(const std::string& section, const std::string& name) {
  auto& r = registries();
  if (section == "model") return entry_fields(r.models, name);
  if (section == "data") return entry_fields(r.datasets, name);
  if (section == "loss") return entry_fields(r.losses, name);
  if (section == "optimizer") return entry_fields(r.optimizers, name);
  if (section == "scheduler") return entry_fields(r.schedules, name);
  return nullptr;
}

template <class Registry>
void run_check(const Registry& registry, const std::string& name, const SpecNode& node, const nlohmann::json& options) {
  const auto& entry = registry.get(name);
  if (entry.check) entry.check(node, options);
}

void run_entry_check(const std::string& section, const std::string& name, const SpecNode& node,
                     const nlohmann::json& options) {
  auto& r = registries();
  if (section == "model") run_check(r.models, name, node, options);
  else if (section == "data") run_check(r.datasets, name, node, options);
  else if (section == "loss") run_check(r.losses, name, node, options);
  else if (section == "scheduler") run_check(r.schedules, name, node, options);
  else run_check(r.optimizers, name, node, options);
}

template <class Registry>
void run_complete(const Registry& registry, const std::string& name, const SpecNode& node, nlohmann::json& options) {
  const auto& entry = registry.get(name);
  if (entry.complete) entry.complete(node, options);
}

void run_entry_complete(const std::string& section, const std::string& name, const SpecNode& node,
                        nlohmann::json& options) {
  auto& r = registries();
  if (section == "model") run_complete(r.models, name, node, options);
  else if (section == "data") run_complete(r.datasets, name, node, options);
  else if (section == "loss") run_complete(r.losses, name, node, options);
  else if (section == "scheduler") run_complete(r.schedules, name, node, options);
  else run_complete(r.optimizers, name, node, options);
}

std::string unknown_entry_message(const std::string& section, const std::string& name) {
  auto& r = registries();
  if (section == "model") return r.models.unknown_name_message(name);
  if (section == "data") return r.datasets.unknown_name_message(name);
  if (section == "loss") return r.losses.unknown_name_message(name);
  if (section == "scheduler") return r.schedules.unknown_name_message(name);
  return r.optimizers.unknown_name_message(name);
}

/// The name a section's node gives (first of a swept list), or "" when none.
std::string section_name(const SpecNode& node) {
  const SpecNode* name = &node;
  if (node.is_map()) name = node.find("name");
  if (name && name->is_list() && !name->items().empty()) name = &name->items().front();
  return name && name->kind() == SpecNode::Kind::String ? name->as_string() : "";
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// The line of a LibTorch error that says what went wrong: its first, except for an
/// error raised inside a TorchScript module, whose first lines are the interpreter's
/// traceback and whose last line is the error itself ("RuntimeError: mat1 and mat2 ...").
std::string cause_of(const std::string& problem) {
  if (problem.rfind("The following operation failed in the TorchScript interpreter", 0) != 0)
    return first_line(problem);
  size_t end = problem.find_last_not_of(" \n");
  if (end == std::string::npos) return first_line(problem);
  const size_t start = problem.rfind('\n', end);
  return problem.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

/// The model, data set and loss together: the model's forward pass and the loss on
/// the first training batch, on the CPU without gradients, once per distinct triple in
/// a process. Whatever LibTorch refuses there (shapes, class counts, dtypes) it would
/// refuse at the run's first step.
void check_model_fits_data(const SpecNode& root, const nlohmann::json& config) {
  static std::mutex mutex;
  static std::map<std::string, std::string> checked;  // key -> problem ("" when none)
  const nlohmann::json key_json = {config["model"], config["data"], config["loss"]};
  const std::string key = key_json.dump();
  std::string problem;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = checked.find(key);
    if (it != checked.end()) {
      problem = it->second;
    } else {
      auto& r = registries();
      try {
        torch::NoGradGuard no_grad;
        const auto model = r.models.get(config["model"]["name"]).factory(config["model"]);
        model->eval();
        const auto data = r.datasets.get(config["data"]["name"]).factory(config["data"]);
        const auto loss_fn = r.losses.get(config["loss"]["name"]).factory(config["loss"]);
        data->start_epoch(1, 0);
        const Batch batch = data->train_batch(0).to(torch::kCPU, model->dtype());
        const auto loss = loss_fn(model->forward(batch.inputs), batch.targets);
        if (loss.numel() != 1)
          problem = "the loss gives " + std::to_string(loss.numel()) + " values per batch, expected one";
      } catch (const c10::Error& e) {
        problem = e.what_without_backtrace();
      } catch (const std::exception& e) {
        problem = e.what();
      }
      checked.emplace(key, problem);
    }
  }
  if (problem.empty()) return;
  const SpecNode* model = root.find("model");
  throw SpecError(model ? model->mark() : root.mark(), "model",
                  "model '" + config["model"]["name"].get<std::string>() + "' does not fit data '" +
                      config["data"]["name"].get<std::string>() + "' with loss '" +
                      config["loss"]["name"].get<std::string>() + "': " + cause_of(problem));
}

/// Rules that join sections: the data set must have training batches, the model and
/// loss must take its batches, and the schedule must accept the run's length (what its
/// factory refuses, validation refuses, pointing at the scheduler section).
void check_training_plan(const SpecNode& root, const nlohmann::json& config) {
  const int64_t per_epoch = batches_per_epoch(config["data"]);
  if (per_epoch <= 0) {
    const SpecNode* data = root.find("data");
    throw SpecError(data ? data->mark() : root.mark(), "data", "expected a data set with training samples, got none");
  }
  check_model_fits_data(root, config);
  if (config["scheduler"].is_null()) return;
  const TrainingPlan plan = plan_training(config, per_epoch);
  try {
    registries().schedules.get(config["scheduler"]["name"]).factory(config["scheduler"], plan.schedule_context());
  } catch (const InputError& e) {
    throw SpecError(root.find("scheduler")->mark(), "scheduler", e.what());
  }
}

/// fp16 trains on CUDA only (LibTorch's CPU autocast has no fp16): a spec that asks
/// for it on the CPU by name is refused here; on `auto` the run refuses it when it
/// resolves to the CPU.
void check_precision(const SpecNode& train, const nlohmann::json& config) {
  if (config["train"]["precision"] != "fp16" || config["device"] != "cpu") return;
  const SpecNode* precision = train.find("precision");
  throw SpecError(precision ? precision->mark() : train.mark(), "train.precision",
                  "expected fp32 or bf16 on device cpu, got \"fp16\": fp16 needs a CUDA device (bf16 is the CPU's "
                  "lower precision)");
}

/// A budget is steps or epochs, one of them. Given both (an override of one on a spec
/// that has the other), the message says how to take the other away.
void check_budget(const SpecNode& train, const nlohmann::json& resolved) {
  const bool has_steps = !resolved["steps"].is_null();
  const bool has_epochs = !resolved["epochs"].is_null();
  if (!has_steps && !has_epochs)
    throw SpecError(train.mark(), "train", "expected steps or epochs, got neither");
  if (!has_steps || !has_epochs) return;
  const SpecNode::Entry& steps = *train.find_entry("steps");
  const SpecNode::Entry& epochs = *train.find_entry("epochs");
  // The one given last (on the command line, or further down) is most likely the one
  // meant: point at it and name the other for removal.
  const bool steps_later = steps.key_mark.origin != epochs.key_mark.origin
                               ? steps.key_mark.origin.rfind("override ", 0) == 0
                               : std::make_pair(steps.key_mark.line, steps.key_mark.column) >
                                     std::make_pair(epochs.key_mark.line, epochs.key_mark.column);
  const SpecNode::Entry& kept = steps_later ? steps : epochs;
  const SpecNode::Entry& other = steps_later ? epochs : steps;
  throw SpecError(kept.key_mark, "train." + kept.key,
                  "expected either steps or epochs, got both (train." + other.key + ": " + other.value.describe() +
                      " at " +
                      (other.key_mark.origin == kept.key_mark.origin ? "line " + std::to_string(other.key_mark.line)
                                                                     : other.key_mark.str()) +
                      "); to train by " + kept.key + ", remove " + other.key + " with the override ~train." +
                      other.key);
}

}  // namespace

nlohmann::json validate_section(const SpecNode& root, const std::string& section) {
  const SpecNode::Entry* entry = root.find_entry(section);
  if (!entry)
    throw SpecError(Mark{root.mark().origin, 1, 1}, section,
                    "missing required key, expected a " + section + " section such as `" + section + ": { name: ... }`");
  const SpecNode& node = entry->value;
  const SpecNode* name_node = &node;
  if (node.is_map()) {
    name_node = node.find("name");
    if (!name_node)
      throw SpecError(node.mark(), section + ".name", "missing required key, expected the " + section + "'s registry name");
  } else if (node.kind() != SpecNode::Kind::String) {
    throw SpecError(node.mark(), section, "expected a registry name or a mapping with `name:`, got " + node.describe());
  }
  const std::string path = node.is_map() ? section + ".name" : section;
  const std::string name = validate_value(*name_node, name_field(), path).get<std::string>();
  const std::vector<Field>* fields = section_fields(section, name);
  if (!fields) throw SpecError(name_node->mark(), path, unknown_entry_message(section, name));
  nlohmann::json out = node.is_map() ? validate_fields(node, *fields, section, {"name"})
                                     : validate_fields(SpecNode::map(node.mark()), *fields, section);
  out["name"] = name;
  run_entry_complete(section, name, node, out);
  run_entry_check(section, name, node, out);
  return out;
}

void recheck_recorded_config(const nlohmann::json& config, const std::string& origin) {
  const Mark mark{origin, 0, 0};
  for (const auto& section : registry_sections()) {
    if (!config.contains(section) || !config.at(section).is_object()) continue;
    nlohmann::json options = config.at(section);
    const std::string name = options.value("name", "");
    if (!section_fields(section, name)) continue;  // its entry is gone; the run says so when it builds
    run_entry_complete(section, name, from_json(options, mark), options);
  }
}

const std::vector<std::string>& registry_sections() {
  static const std::vector<std::string> sections = {"model", "data", "loss", "optimizer", "scheduler"};
  return sections;
}

const Field* field_at(const SpecNode& root, const std::vector<std::string>& path) {
  if (path.empty()) return nullptr;
  const std::string& head = path[0];
  if (path.size() == 1) {
    if (const Field* f = find_field(top_fields(), head)) return f;
    for (const auto& s : registry_sections())
      if (s == head) return &name_field();
    return nullptr;
  }
  if (path.size() != 2) return nullptr;
  if (head == "train") return find_field(train_fields(), path[1]);
  for (const auto& s : registry_sections()) {
    if (s != head) continue;
    if (path[1] == "name") return &name_field();
    const SpecNode* node = root.find(head);
    const std::vector<Field>* fields = node ? section_fields(head, section_name(*node)) : nullptr;
    return fields ? find_field(*fields, path[1]) : nullptr;
  }
  return nullptr;
}

SpecNode* parent_for(SpecNode& root, const std::vector<std::string>& path, const Mark& mark, std::string& blocked) {
  SpecNode* node = &root;
  std::string walked;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + path[i];
    SpecNode* child = node->find(path[i]);
    if (!child) {
      node->set(path[i], SpecNode::map(mark), mark);
      child = node->find(path[i]);
    } else if (i == 0 && child->kind() == SpecNode::Kind::String &&
               std::count(registry_sections().begin(), registry_sections().end(), path[0])) {
      SpecNode widened = SpecNode::map(child->mark());
      widened.set("name", *child, child->mark());
      *child = std::move(widened);
    } else if (!child->is_map()) {
      blocked = walked;
      return nullptr;
    }
    node = child;
  }
  return node;
}

nlohmann::json validate_run_spec(const SpecNode& root) {
  std::set<std::string> sections(registry_sections().begin(), registry_sections().end());
  sections.insert("train");
  sections.insert("sweep");
  // The top-level keys, each section and the train budget are checked independently,
  // so that every mistake among them is reported at once; the checks that join
  // sections need them all valid.
  ErrorList errors;
  std::set<std::string> reported = sections;
  // A section's key written at the top level (`steps: 100`): say where it belongs.
  for (const auto& entry : root.entries()) {
    if (sections.count(entry.key) || find_field(top_fields(), entry.key)) continue;
    for (const auto& section : sections) {
      if (!field_at(root, {section, entry.key})) continue;
      errors.add(SpecError(entry.key_mark, entry.key,
                           "unknown key at the top level, did you mean '" + section + "." + entry.key +
                               "'? (it belongs under " + section + ":)"));
      reported.insert(entry.key);
      break;
    }
  }
  nlohmann::json config;
  const bool top_valid = errors.attempt([&] { config = validate_fields(root, top_fields(), "", reported); });
  if (const SpecNode* device = root.find("device"); device && top_valid) {
    const std::string problem = check_device(config["device"].get<std::string>());
    if (!problem.empty()) errors.add(SpecError(device->mark(), "device", problem));
  }
  for (const auto& section : registry_sections()) {
    const bool optional = section == "scheduler";
    const SpecNode* node = root.find(section);
    errors.attempt([&] {
      config[section] = optional && (!node || node->is_null()) ? nlohmann::json(nullptr) : validate_section(root, section);
    });
  }

  const SpecNode::Entry* train = root.find_entry("train");
  if (!train)
    errors.add(SpecError(Mark{root.mark().origin, 1, 1}, "train",
                         "missing required key, expected `train: { steps: N }` or `train: { epochs: N }`"));
  else
    errors.attempt([&] { config["train"] = validate_fields(train->value, train_fields(), "train"); });
  errors.throw_if_any();
  check_precision(train->value, config);
  check_budget(train->value, config["train"]);
  // The budget says where training stops; evaluation and checkpoints default to every
  // epoch when it counts epochs, and to the end when it counts steps.
  for (const char* key : {"eval_every", "checkpoint_every"})
    if (config["train"][key].is_null()) config["train"][key] = default_cadence(config["train"]).str();
  check_training_plan(root, config);
  return config;
}

Cadence default_cadence(const nlohmann::json& train) {
  return train.at("epochs").is_null() ? Cadence::end() : Cadence::epochs(1);
}

namespace {

/// -0.0 is 0: equal configs must hash alike (`momentum: -0.0` is momentum 0).
void normalise_zeros(nlohmann::json& value) {
  if (value.is_number_float() && value.get<double>() == 0.0) value = 0.0;
  else if (value.is_structured())
    for (auto& item : value) normalise_zeros(item);
}

}  // namespace

nlohmann::json hashed_config(const nlohmann::json& config) {
  nlohmann::json hashed = config;
  normalise_zeros(hashed);
  // The description is commentary; the hash is over what changes a run.
  hashed.erase("description");
  // Options added after runs were first recorded are hashed only when they differ from
  // their default, so that runs recorded before they existed keep their hash (and a
  // sweep started then still continues).
  auto& train = hashed["train"];
  const std::string fallback = default_cadence(train).str();
  for (const char* key : {"eval_every", "checkpoint_every"})
    if (train.contains(key) && train[key] == fallback) train.erase(key);
  if (train.contains("cuda_graph") && train["cuda_graph"] == "auto") train.erase("cuda_graph");
  if (train.contains("memory_format") && train["memory_format"] == "auto") train.erase("memory_format");
  if (train.contains("precision") && train["precision"] == "fp32") train.erase("precision");
  auto& scheduler = hashed["scheduler"];
  if (scheduler.is_object() && scheduler.contains("interval")) {
    const auto& fields = registries().schedules.get(scheduler.at("name").get<std::string>()).options;
    const Field* interval = find_field(fields, "interval");
    if (interval && scheduler["interval"] == interval->default_value) scheduler.erase("interval");
  }
  return hashed;
}

namespace {

/// `sweep.metric` of a tpe or bayes sweep: {name: METRIC, goal: minimize|maximize},
/// the goal minimize when left out (W&B's default).
nlohmann::json validate_search_metric(const SpecNode& metric) {
  const std::string expected = "expected {name: METRIC, goal: minimize|maximize}";
  if (!metric.is_map()) throw SpecError(metric.mark(), "sweep.metric", expected + ", got " + metric.describe());
  nlohmann::json out = {{"goal", "minimize"}};
  for (const auto& e : metric.entries()) {
    if (e.key == "name") {
      if (e.value.kind() != SpecNode::Kind::String || e.value.as_string().empty())
        throw SpecError(e.value.mark(), "sweep.metric.name", "expected a metric name, got " + e.value.describe());
      out["name"] = e.value.as_string();
    } else if (e.key == "goal") {
      if (e.value.kind() != SpecNode::Kind::String ||
          (e.value.as_string() != "minimize" && e.value.as_string() != "maximize"))
        throw SpecError(e.value.mark(), "sweep.metric.goal", "expected minimize or maximize, got " + e.value.describe());
      out["goal"] = e.value.as_string();
    } else {
      throw SpecError(e.key_mark, "sweep.metric." + e.key, "unknown key, " + expected);
    }
  }
  // The same words as W&B's check of its metric (sweep/wandb_sweep.cpp), so that the
  // mistake is reported once when both see it.
  if (!out.contains("name")) throw SpecError(metric.mark(), "sweep.metric", expected + ", got " + metric.describe());
  return out;
}

}  // namespace

nlohmann::json validate_sweep_section(const SpecNode& root) {
  const SpecNode* sweep = root.find("sweep");
  if (!sweep) return validate_fields(SpecNode::map(root.mark()), sweep_fields(), "sweep", {});
  SpecNode own = SpecNode::map(sweep->mark());
  if (!sweep->is_map()) throw SpecError(sweep->mark(), "sweep", "expected a mapping with mode and parameters, got " + sweep->describe());
  for (const auto& e : sweep->entries())
    if (e.key != "parameters") own.entries().push_back(e);
  ErrorList errors;
  nlohmann::json resolved;
  const bool valid = errors.attempt([&] { resolved = validate_fields(own, sweep_fields(), "sweep", {}); });
  if (const SpecNode* parameters = sweep->find("parameters")) {
    if (!parameters->is_map())
      errors.add(SpecError(parameters->mark(), "sweep.parameters",
                           "expected a mapping of dotted keys to lists, such as `optimizer.lr: [0.1, 0.2]`, got " +
                               parameters->describe()));
  }
  if (valid) {
    const std::string mode = resolved["mode"].get<std::string>();
    const bool search = mode == "tpe" || mode == "bayes";
    const bool random = mode == "random" || search;
    if (mode == "random" && resolved["samples"].is_null())
      errors.add(SpecError(sweep->mark(), "sweep.samples",
                           "expected the number of points to draw (mode random), e.g. samples: 20"));
    if (search && resolved["samples"].is_null())
      errors.add(SpecError(sweep->mark(), "sweep.samples",
                           "expected the number of runs in all (mode " + mode + " proposes them one by one), e.g. "
                           "samples: 30"));
    for (const char* key : {"samples", "seed"})
      if (!random && !resolved[key].is_null())
        errors.add(SpecError(sweep->find_entry(key)->key_mark, std::string("sweep.") + key,
                             "only applies to mode random, got mode " + mode));
    for (const char* key : {"metric", "startup"})
      if (!search && !resolved[key].is_null())
        errors.add(SpecError(sweep->find_entry(key)->key_mark, std::string("sweep.") + key,
                             "only applies to mode tpe or bayes, got mode " + mode));
    if (search) {
      const SpecEntry* metric = sweep->find_entry("metric");
      if (!metric) {
        errors.add(SpecError(sweep->mark(), "sweep.metric",
                             "mode " + mode + " proposes runs from the finished runs' metric: expected metric: "
                             "{name: val_loss, goal: minimize}"));
      } else if (errors.attempt([&] { resolved["metric"] = validate_search_metric(metric->value); })) {
        if (!resolved["startup"].is_null() && !resolved["samples"].is_null() &&
            resolved["startup"].get<int64_t>() > resolved["samples"].get<int64_t>())
          errors.add(SpecError(sweep->find("startup")->mark(), "sweep.startup",
                               "expected at most samples (" + resolved["samples"].dump() + ") runs drawn at random, got " +
                                   resolved["startup"].dump()));
      }
      if (const SpecNode* repeats = sweep->find("repeats"); repeats && resolved["repeats"] != 1)
        errors.add(SpecError(repeats->mark(), "sweep.repeats",
                             "mode " + mode + " proposes each point once from the runs before it; expected no repeats, "
                             "got " + repeats->describe()));
    }
  }
  errors.throw_if_any();
  return resolved;
}

}  // namespace torchsweep
