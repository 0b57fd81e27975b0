#include "sweep/wandb_sweep.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "spec/spec.h"

namespace torchsweep {

namespace {

bool is_string(const SpecNode* node, const std::string& text) {
  return node && node->kind() == SpecNode::Kind::String && node->as_string() == text;
}

/// Where something else was written, for a message that names it: "9:5" in the same
/// file, else its whole position.
std::string place(const Mark& mark, const Mark& from) {
  return mark.origin == from.origin && mark.line > 0 ? std::to_string(mark.line) + ":" + std::to_string(mark.column)
                                                     : mark.str();
}

SpecNode native_distribution(const std::string& kind, const SpecNode& low, const SpecNode& high, const Mark& mark) {
  SpecNode out = SpecNode::map(mark);
  out.set("distribution", SpecNode::string(kind, mark), mark);
  out.set("low", low, low.mark());
  out.set("high", high, high.mark());
  return out;
}

/// The distributions of W&B's schema that torchsweep does not have by the same name
/// (uniform, int_uniform and log_uniform it has, the last with other bounds).
bool is_wandb_only_distribution(const std::string& name) {
  static const std::set<std::string> names = {
      "categorical", "categorical_w_probabilities", "constant", "log_uniform_values", "inv_log_uniform",
      "inv_log_uniform_values", "q_uniform", "q_log_uniform", "q_log_uniform_values", "normal", "q_normal",
      "log_normal", "q_log_normal", "beta", "q_beta"};
  return names.count(name) > 0;
}

/// W&B's parameter spellings: a map with values, value, min/max, nested parameters or
/// a distribution only W&B has. Anything else is torchsweep's own and stays as it is
/// (a misspelt native distribution gets the native "did you mean").
bool is_wandb_parameter(const SpecNode& value) {
  if (!value.is_map()) return false;
  if (value.find("value") || value.find("min") || value.find("max") || value.find("parameters")) return true;
  const SpecNode* kind = value.find("distribution");
  if (!kind) return value.find("values") != nullptr;
  return kind->kind() == SpecNode::Kind::String && is_wandb_only_distribution(kind->as_string());
}

/// The keys that say which of W&B's shapes a parameter is.
bool is_shape_key(const std::string& key) {
  return key == "parameters" || key == "value" || key == "values" || key == "min" || key == "max";
}

/// Sweep keys W&B's agent reads, which have no meaning where the spec says what to train.
bool is_agent_key(const std::string& key) {
  return key == "program" || key == "command" || key == "project" || key == "entity" || key == "job" ||
         key == "image_uri" || key == "controller";
}

/// log(largest double) and log(smallest positive double): W&B's log_uniform bounds beyond
/// them are no number here.
const double kLargestExponent = std::log(std::numeric_limits<double>::max());
const double kSmallestExponent = std::log(std::numeric_limits<double>::denorm_min());

class Translation {
 public:
  Translation(SpecNode& root, SpecNode& parameters, ErrorList& errors, std::map<std::string, std::string>& user_keys)
      : root_(root), parameters_(parameters), errors_(errors), user_keys_(user_keys) {}

  /// One entry of `parameters`: `key` is its dotted key in the spec, `user` its key as
  /// written (`sweep.parameters.optimizer.parameters.lr`).
  void parameter(const std::string& key, const std::string& user, const SpecEntry& entry) {
    const SpecNode& value = entry.value;
    if (!is_wandb_parameter(value)) {
      if (claim(key, user, entry.key_mark)) parameters_.set(key, value, entry.key_mark);
      return;
    }
    // The first shape key written says what the parameter is; W&B's schema allows no
    // other key beside it (`additionalProperties: false`).
    const SpecEntry* shape = nullptr;
    for (const auto& e : value.entries())
      if (is_shape_key(e.key)) {
        shape = &e;
        break;
      }
    if (!shape || shape->key == "min" || shape->key == "max") {
      distribution(key, user, entry, shape);
      return;
    }
    // Every other key is reported, and the shape's own value is still read, for the
    // errors inside it.
    const std::string allowed_kind = shape->key == "value" ? "constant" : shape->key == "values" ? "categorical" : "";
    for (const auto& e : value.entries()) {
      if (&e == shape) continue;
      if (shape->key == "values" && e.key == "probabilities") {
        errors_.add(SpecError(e.key_mark, user + ".probabilities",
                              "weighted choices are not supported; every value is equally likely"));
      } else if (e.key == "distribution" && !allowed_kind.empty() && is_string(&e.value, allowed_kind)) {
        continue;
      } else if (e.key == "distribution" || is_shape_key(e.key)) {
        errors_.add(conflict(e, *shape, user));
      } else {
        errors_.add(SpecError(e.key_mark, user + "." + e.key,
                              "not used by W&B's " + shape->key + ", expected " +
                                  (allowed_kind.empty() ? shape->key : shape->key + " and distribution: " + allowed_kind)));
      }
    }
    const SpecNode& inner = shape->value;
    if (shape->key == "parameters") {
      if (!inner.is_map()) {
        errors_.add(SpecError(inner.mark(), user + ".parameters", "expected a mapping of parameters, got " + inner.describe()));
        return;
      }
      for (const auto& e : inner.entries()) parameter(key + "." + e.key, user + ".parameters." + e.key, e);
    } else if (shape->key == "value") {  // a constant: it goes into the spec itself
      constant(key, user, entry, inner);
    } else {
      if (!inner.is_list()) {
        errors_.add(SpecError(inner.mark(), user + ".values", "expected a list of values, got " + inner.describe()));
        return;
      }
      if (claim(key, user, entry.key_mark)) parameters_.set(key, inner, entry.key_mark);
    }
  }

 private:
  SpecError conflict(const SpecEntry& at, const SpecEntry& shape, const std::string& user) const {
    return SpecError(at.key_mark, user + "." + at.key,
                     "conflicts with " + shape.key + " at " + place(shape.key_mark, at.key_mark) +
                         ": a W&B parameter is one of {value: x}, {values: [...]}, a distribution "
                         "{distribution, min, max} or {parameters: ...}; keep one");
  }

  /// Records that `key` is set or swept here; false (and an error) when it already was.
  bool claim(const std::string& key, const std::string& user, const Mark& mark) {
    const auto [it, fresh] = claimed_.emplace(key, std::make_pair(user, mark));
    if (!fresh) {
      errors_.add(SpecError(mark, user,
                            "is " + key + " again, also given as " + it->second.first + " at " +
                                place(it->second.second, mark) + "; expected each parameter once"));
      return false;
    }
    user_keys_["sweep.parameters." + key] = user;
    return true;
  }

  void constant(const std::string& key, const std::string& user, const SpecEntry& entry, const SpecNode& fixed) {
    const auto path = split_path(key);
    // A constant over a list the spec sweeps would silently make the sweep one run.
    const SpecNode* present = &root_;
    for (const auto& part : path) present = present && present->is_map() ? present->find(part) : nullptr;
    if (present && present->is_list()) {
      const Field* field = field_at(root_, path);
      if (field && field->is_scalar()) {
        errors_.add(SpecError(entry.key_mark, user,
                              "sets " + key + " to one value, but the spec sweeps it at " +
                                  place(present->mark(), entry.key_mark) + "; give it in one place"));
        return;
      }
    }
    if (!claim(key, user, entry.key_mark)) return;
    std::string blocked;
    SpecNode* parent = parent_for(root_, path, entry.key_mark, blocked);
    if (!parent) {
      errors_.add(SpecError(entry.key_mark, user, "cannot set it: '" + blocked + "' is not a mapping"));
      return;
    }
    parent->set(path.back(), fixed, entry.key_mark);
  }

  /// A bound as W&B's schema has it: a number (an integer for int_uniform); nullptr
  /// and an error otherwise.
  const SpecNode* bound(const SpecNode& map, const std::string& name, const std::string& user, bool integer) {
    const SpecNode* value = map.find(name);
    if (!value) {
      errors_.add(SpecError(map.mark(), user, "expected '" + name + "' for this distribution"));
      return nullptr;
    }
    const bool ok = value->is_number() && std::isfinite(value->as_double()) &&
                    (!integer || std::floor(value->as_double()) == value->as_double());
    if (!ok) {
      errors_.add(SpecError(value->mark(), user + "." + name,
                            std::string(integer ? "expected an integer (int_uniform draws integers)"
                                                : "expected a finite number") +
                                ", got " + value->describe()));
      return nullptr;
    }
    return value;
  }

  /// A distribution; `first` is its first min or max (null when it has neither).
  void distribution(const std::string& key, const std::string& user, const SpecEntry& entry, const SpecEntry* first) {
    const SpecNode& value = entry.value;
    const SpecNode* kind = value.find("distribution");
    std::string name;
    if (kind) {
      if (kind->kind() != SpecNode::Kind::String) {
        errors_.add(SpecError(kind->mark(), user + ".distribution", "expected a distribution name, got " + kind->describe()));
        return;
      }
      name = kind->as_string();
      if (name != "uniform" && name != "int_uniform" && name != "log_uniform" && name != "log_uniform_values") {
        errors_.add(SpecError(kind->mark(), user + ".distribution",
                              "W&B's " + name + " is not supported, expected uniform, int_uniform, log_uniform, "
                              "log_uniform_values or categorical (with values)"));
        return;
      }
    } else {  // W&B infers it from the bounds
      const SpecNode* low = value.find("min");
      const SpecNode* high = value.find("max");
      name = low && high && low->kind() == SpecNode::Kind::Int && high->kind() == SpecNode::Kind::Int ? "int_uniform"
                                                                                                     : "uniform";
    }
    for (const auto& e : value.entries()) {
      if (e.key == "distribution" || e.key == "min" || e.key == "max") continue;
      errors_.add(is_shape_key(e.key) ? conflict(e, *first, user)
                                      : SpecError(e.key_mark, user + "." + e.key,
                                                  "not used by a " + name + " distribution, expected distribution, min and max"));
    }
    const bool integer = name == "int_uniform";
    const SpecNode* low = bound(value, "min", user, integer);
    const SpecNode* high = bound(value, "max", user, integer);
    if (!low || !high) return;
    // The bounds are checked here, with the numbers as written: the native checks
    // after the translation would see log_uniform's e^min and e^max.
    const bool ordered = integer ? high->as_double() >= low->as_double() : high->as_double() > low->as_double();
    if (!ordered) {
      errors_.add(SpecError(high->mark(), user + ".max",
                            "expected max " + std::string(integer ? ">=" : ">") + " min (" + low->describe() +
                                "), got " + high->describe()));
      return;
    }
    if (name == "log_uniform_values" && !(low->as_double() > 0)) {
      errors_.add(SpecError(low->mark(), user + ".min",
                            "log_uniform_values needs a positive min, got " + low->describe()));
      return;
    }
    SpecNode low_value = *low;
    SpecNode high_value = *high;
    if (name == "log_uniform") {  // W&B's bounds are natural logarithms of the values
      for (const SpecNode* b : {low, high}) {
        const double exponent = b->as_double();
        if (exponent > kLargestExponent || exponent < kSmallestExponent) {
          errors_.add(SpecError(b->mark(), user + "." + (b == low ? "min" : "max"),
                                "W&B's log_uniform bounds are natural logarithms, and e^" + b->describe() +
                                    " is beyond a double's range (expected an exponent from " +
                                    std::to_string(static_cast<int>(std::ceil(kSmallestExponent))) + " to " +
                                    std::to_string(static_cast<int>(std::floor(kLargestExponent))) +
                                    "); for bounds that are the values themselves, use log_uniform_values"));
          return;
        }
      }
      low_value = SpecNode::floating(std::exp(low->as_double()), low->mark());
      high_value = SpecNode::floating(std::exp(high->as_double()), high->mark());
    }
    if (!claim(key, user, entry.key_mark)) return;
    const std::string native = name == "log_uniform_values" ? "log_uniform" : name;
    parameters_.set(key, native_distribution(native, low_value, high_value, value.mark()), entry.key_mark);
    user_keys_["sweep.parameters." + key + ".low"] = user + ".min";
    user_keys_["sweep.parameters." + key + ".high"] = user + ".max";
  }

  SpecNode& root_;
  SpecNode& parameters_;
  ErrorList& errors_;
  std::map<std::string, std::string>& user_keys_;
  std::map<std::string, std::pair<std::string, Mark>> claimed_;  ///< key → the user's key, where
};

/// Whether the sweep proposes runs from the metric: W&B's method bayes, or mode tpe or bayes.
bool proposes_runs(const SpecNode& sweep) {
  const SpecNode* mode = sweep.find("mode");
  return is_string(sweep.find("method"), "bayes") || is_string(mode, "tpe") || is_string(mode, "bayes");
}

/// W&B's metric as sweep.metric: its name and goal (W&B's target, impute and
/// impute_while_running are checked and left out: a failed run counts as the worst,
/// W&B's default impute).
SpecNode search_metric(const SpecNode& metric) {
  if (!metric.is_map()) return metric;
  SpecNode out = SpecNode::map(metric.mark());
  for (const auto& e : metric.entries())
    if (e.key == "name" || e.key == "goal") out.set(e.key, e.value, e.key_mark);
  return out;
}

/// W&B's impute settings that a bayes sweep here follows: a failed run counts as the
/// worst objective (impute: worst) and a run in flight at the GP's prediction
/// (impute_while_running: false), W&B's defaults. Others are refused.
void check_search_impute(const SpecNode& metric, ErrorList& errors) {
  if (!metric.is_map()) return;
  if (const SpecNode* impute = metric.find("impute"); impute && !is_string(impute, "worst"))
    errors.add(SpecError(impute->mark(), "sweep.metric.impute",
                         "only worst is supported (W&B's default: a failed run counts as the worst value seen), got " +
                             impute->describe()));
  if (const SpecNode* running = metric.find("impute_while_running");
      running && !is_string(running, "false") && !(running->kind() == SpecNode::Kind::Bool && !running->as_bool()))
    errors.add(SpecError(running->mark(), "sweep.metric.impute_while_running",
                         "only false is supported (W&B's default: a run still training counts at the model's "
                         "prediction), got " + running->describe()));
}

/// W&B's `metric` (its schema: name, goal, target, impute, impute_while_running). It
/// steers bayes and early termination.
void check_metric(const SpecEntry& metric, ErrorList& errors) {
  const SpecNode& value = metric.value;
  if (!value.is_map() || !value.find("name")) {
    errors.add(SpecError(value.mark(), "sweep.metric",
                         "expected {name: METRIC, goal: minimize|maximize}, got " + value.describe()));
    return;
  }
  for (const auto& e : value.entries()) {
    const std::string where = "sweep.metric." + e.key;
    if (e.key == "name") {
      if (e.value.kind() != SpecNode::Kind::String)
        errors.add(SpecError(e.value.mark(), where, "expected a metric name, got " + e.value.describe()));
    } else if (e.key == "goal") {
      if (!is_string(&e.value, "minimize") && !is_string(&e.value, "maximize"))
        errors.add(SpecError(e.value.mark(), where, "expected minimize or maximize, got " + e.value.describe()));
    } else if (e.key == "target") {
      if (!e.value.is_number() || !std::isfinite(e.value.as_double()))
        errors.add(SpecError(e.value.mark(), where, "expected a finite number, got " + e.value.describe()));
    } else if (e.key != "impute" && e.key != "impute_while_running") {
      errors.add(SpecError(e.key_mark, where,
                           "unknown key for W&B's metric, expected name, goal, target, impute or impute_while_running"));
    }
  }
}

/// W&B's `early_terminate` (its one type, hyperband) as `early_stop` with rule
/// wandb_hyperband, judging the metric of W&B's `metric` section (W&B's default goal:
/// minimize). Its keys keep their names; sweep/early_stopping checks their values and
/// computes W&B's bands from them.
void early_terminate(const SpecNode& sweep, const SpecEntry& entry, SpecNode& native, ErrorList& errors,
                     std::map<std::string, std::string>& user_keys) {
  const std::string where = "sweep.early_terminate";
  const SpecNode& value = entry.value;
  if (sweep.find("early_stop")) {
    errors.add(SpecError(entry.key_mark, where, "is W&B's spelling of sweep.early_stop; give one of them, not both"));
    return;
  }
  if (!value.is_map()) {
    errors.add(SpecError(value.mark(), where,
                         "expected {type: hyperband, min_iter: N} or {type: hyperband, max_iter: N, s: N}, got " +
                             value.describe()));
    return;
  }
  const SpecEntry* type = value.find_entry("type");
  if (!type) {
    errors.add(SpecError(value.mark(), where + ".type", "missing, expected hyperband (W&B's one early_terminate type)"));
    return;
  }
  if (!is_string(&type->value, "hyperband")) {
    errors.add(SpecError(type->value.mark(), where + ".type",
                         "expected hyperband (W&B's one early_terminate type), got " + type->value.describe()));
    return;
  }
  SpecNode stop = SpecNode::map(value.mark());
  stop.set("rule", SpecNode::string("wandb_hyperband", type->value.mark()), type->key_mark);
  bool known = true;
  const std::vector<std::string> keys = {"type", "min_iter", "max_iter", "s", "eta", "strict"};
  for (const auto& e : value.entries()) {
    if (e.key == "type") continue;
    if (std::find(keys.begin(), keys.end(), e.key) != keys.end()) {
      stop.set(e.key, e.value, e.key_mark);
      continue;
    }
    const std::string close = closest_match(e.key, keys);
    errors.add(SpecError(e.key_mark, where + "." + e.key,
                         "unknown key for W&B's hyperband" + (close.empty() ? "" : ", did you mean '" + close + "'?") +
                             " (expected type, min_iter, max_iter, s, eta or strict)"));
    known = false;
  }
  const SpecNode* metric = sweep.find("metric");
  if (!metric) {
    errors.add(SpecError(entry.key_mark, where,
                         "W&B's hyperband judges the sweep's metric: expected sweep.metric: {name: METRIC, goal: "
                         "minimize|maximize}"));
    return;
  }
  // A metric without a name or with another goal is check_metric's to report.
  const SpecEntry* name = metric->is_map() ? metric->find_entry("name") : nullptr;
  const SpecEntry* goal = metric->is_map() ? metric->find_entry("goal") : nullptr;
  if (!name || name->value.kind() != SpecNode::Kind::String) return;
  if (goal && !is_string(&goal->value, "minimize") && !is_string(&goal->value, "maximize")) return;
  if (!known) return;
  stop.set("metric", name->value, name->key_mark);
  stop.set("goal", goal ? goal->value : SpecNode::string("minimize", metric->mark()),
           goal ? goal->key_mark : metric->mark());
  native.set("early_stop", stop, entry.key_mark);
  user_keys["sweep.early_stop"] = where;
  user_keys["sweep.early_stop.rule"] = where + ".type";
  user_keys["sweep.early_stop.metric"] = "sweep.metric.name";
  user_keys["sweep.early_stop.goal"] = "sweep.metric.goal";
}

}  // namespace

std::string NativeSweep::user_key(const std::string& key) const {
  for (std::string prefix = key;;) {
    if (const auto it = user_keys.find(prefix); it != user_keys.end()) return it->second + key.substr(prefix.size());
    const size_t dot = prefix.rfind('.');
    if (dot == std::string::npos) return key;
    prefix.resize(dot);
  }
}

NativeSweep translate_wandb_sweep(const SpecNode& written, ErrorList& errors) {
  NativeSweep out;
  const SpecNode* sweep = written.find("sweep");
  if (!sweep || !sweep->is_map()) {
    out.root = written;
    return out;
  }
  SpecNode root = written;
  SpecNode native = SpecNode::map(sweep->mark());
  SpecNode parameters = SpecNode::map(sweep->mark());
  Translation translation(root, parameters, errors, out.user_keys);
  for (const auto& e : sweep->entries()) {
    const std::string where = "sweep." + e.key;
    if (e.key == "method") {
      out.user_keys["sweep.mode"] = where;
      if (sweep->find("mode")) {
        errors.add(SpecError(e.key_mark, where, "is W&B's name for sweep.mode; give one of them, not both"));
        continue;
      }
      const std::string method = e.value.kind() == SpecNode::Kind::String ? e.value.as_string() : "";
      if (method != "grid" && method != "random" && method != "bayes")
        errors.add(SpecError(e.value.mark(), where,
                             "expected grid, random or bayes (W&B's methods), got " + e.value.describe()));
      else
        native.set("mode", e.value, e.key_mark);
    } else if (e.key == "run_cap") {
      if (sweep->find("samples")) {
        errors.add(SpecError(e.key_mark, where, "is W&B's name for sweep.samples; give one of them, not both"));
        continue;
      }
      native.set("samples", e.value, e.key_mark);
    } else if (e.key == "early_terminate") {
      early_terminate(*sweep, e, native, errors, out.user_keys);
    } else if (e.key == "metric") {
      check_metric(e, errors);
      // bayes (and torchsweep's tpe) optimise it: its name and goal are sweep.metric.
      if (proposes_runs(*sweep)) {
        check_search_impute(e.value, errors);
        native.set("metric", search_metric(e.value), e.key_mark);
      }
    } else if (is_agent_key(e.key)) {
      errors.add(SpecError(e.key_mark, where,
                           "belongs to W&B's agent; here the spec itself says what to train: remove it"));
    } else if (e.key == "name" || e.key == "description") {
      errors.add(SpecError(e.key_mark, where,
                           "is W&B's sweep " + e.key + "; here the spec's top-level " + e.key +
                               " names the sweep: move it there"));
    } else if (e.key == "parameters" && e.value.is_map()) {
      for (const auto& p : e.value.entries()) translation.parameter(p.key, where + "." + p.key, p);
      native.set("parameters", parameters, e.key_mark);
    } else {
      native.set(e.key, e.value, e.key_mark);
    }
  }
  // W&B's run_cap also caps a grid; here a grid runs every point, which validation
  // checks against the cap.
  if (const SpecEntry* cap = sweep->find_entry("run_cap"); cap && native.find("samples")) {
    out.user_keys["sweep.samples"] = "sweep.run_cap";
    out.user_keys["sweep.max_runs"] = "sweep.run_cap";
    if (!is_string(native.find("mode"), "random") && !is_string(native.find("mode"), "bayes")) {
      native.set("max_runs", cap->value, cap->key_mark);
      native.erase("samples");
    }
  }
  root.set("sweep", native, written.find_entry("sweep")->key_mark);
  out.root = std::move(root);
  return out;
}

SpecNode with_native_sweep(const SpecNode& root) {
  ErrorList errors;
  NativeSweep native = translate_wandb_sweep(root, errors);
  errors.throw_if_any();
  return std::move(native.root);
}

}  // namespace torchsweep
