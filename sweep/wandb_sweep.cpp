#include "sweep/wandb_sweep.h"

#include <cmath>

#include "spec/spec.h"

namespace torchsweep {

namespace {

const SpecNode& required(const SpecNode& map, const std::string& name, const std::string& key) {
  const SpecNode* value = map.find(name);
  if (!value) throw SpecError(map.mark(), key, "expected '" + name + "' for this distribution");
  return *value;
}

SpecNode native_distribution(const std::string& kind, const SpecNode& low, const SpecNode& high, const Mark& mark) {
  SpecNode out = SpecNode::map(mark);
  out.set("distribution", SpecNode::string(kind, mark), mark);
  out.set("low", low, low.mark());
  out.set("high", high, high.mark());
  return out;
}

/// W&B's parameter spellings: a map with values, value, min/max, a W&B distribution
/// name, or nested parameters. Anything else is torchsweep's own and stays as it is.
bool is_wandb_parameter(const SpecNode& value) {
  if (!value.is_map()) return false;
  if (value.find("value") || value.find("min") || value.find("max") || value.find("parameters")) return true;
  const SpecNode* kind = value.find("distribution");
  if (value.find("values")) return !kind || (kind->kind() == SpecNode::Kind::String && kind->as_string() == "categorical");
  return false;
}

class Translation {
 public:
  Translation(SpecNode& root, SpecNode& parameters) : root_(root), parameters_(parameters) {}

  void parameter(const std::string& key, const SpecEntry& entry) {
    const SpecNode& value = entry.value;
    const std::string where = "sweep.parameters." + key;
    if (!is_wandb_parameter(value)) {
      parameters_.set(key, value, entry.key_mark);
      return;
    }
    if (const SpecNode* nested = value.find("parameters")) {
      if (!nested->is_map()) throw SpecError(nested->mark(), where + ".parameters", "expected a mapping of parameters, got " + nested->describe());
      for (const auto& inner : nested->entries()) parameter(key + "." + inner.key, inner);
      return;
    }
    if (const SpecNode* fixed = value.find("value")) {  // a constant: it goes into the spec itself
      std::string blocked;
      const auto path = split_path(key);
      SpecNode* parent = parent_for(root_, path, entry.key_mark, blocked);
      if (!parent) throw SpecError(entry.key_mark, where, "cannot set it: '" + blocked + "' is not a mapping");
      parent->set(path.back(), *fixed, entry.key_mark);
      return;
    }
    if (const SpecNode* values = value.find("values")) {
      if (value.find("probabilities"))
        throw SpecError(value.find_entry("probabilities")->key_mark, where + ".probabilities",
                        "weighted choices are not supported; every value is equally likely");
      if (!values->is_list()) throw SpecError(values->mark(), where + ".values", "expected a list of values, got " + values->describe());
      parameters_.set(key, *values, entry.key_mark);
      return;
    }
    const SpecNode* kind = value.find("distribution");
    std::string name;
    if (kind) {
      if (kind->kind() != SpecNode::Kind::String) throw SpecError(kind->mark(), where + ".distribution", "expected a distribution name, got " + kind->describe());
      name = kind->as_string();
    } else {  // W&B infers it from the bounds
      const SpecNode& low = required(value, "min", where);
      const SpecNode& high = required(value, "max", where);
      name = low.kind() == SpecNode::Kind::Int && high.kind() == SpecNode::Kind::Int ? "int_uniform" : "uniform";
    }
    for (const auto& e : value.entries())
      if (e.key != "distribution" && e.key != "min" && e.key != "max")
        throw SpecError(e.key_mark, where + "." + e.key,
                        "not used by a " + name + " distribution, expected distribution, min and max");
    const SpecNode& low = required(value, "min", where);
    const SpecNode& high = required(value, "max", where);
    if (name == "uniform" || name == "int_uniform") {
      parameters_.set(key, native_distribution(name, low, high, value.mark()), entry.key_mark);
    } else if (name == "log_uniform_values") {
      parameters_.set(key, native_distribution("log_uniform", low, high, value.mark()), entry.key_mark);
    } else if (name == "log_uniform") {  // W&B's bounds are natural logarithms of the values
      for (const SpecNode* bound : {&low, &high})
        if (!bound->is_number())
          throw SpecError(bound->mark(), where, "expected a number (log_uniform bounds are exponents), got " + bound->describe());
      parameters_.set(key,
                      native_distribution("log_uniform", SpecNode::floating(std::exp(low.as_double()), low.mark()),
                                          SpecNode::floating(std::exp(high.as_double()), high.mark()), value.mark()),
                      entry.key_mark);
    } else {
      throw SpecError(kind->mark(), where + ".distribution",
                      "W&B's " + name + " is not supported, expected uniform, int_uniform, log_uniform, "
                      "log_uniform_values or categorical (with values)");
    }
  }

 private:
  SpecNode& root_;
  SpecNode& parameters_;
};

}  // namespace

SpecNode with_native_sweep(const SpecNode& written) {
  const SpecNode* sweep = written.find("sweep");
  if (!sweep || !sweep->is_map()) return written;
  SpecNode root = written;
  SpecNode native = SpecNode::map(sweep->mark());
  SpecNode parameters = SpecNode::map(sweep->mark());
  Translation translation(root, parameters);
  for (const auto& e : sweep->entries()) {
    const std::string where = "sweep." + e.key;
    if (e.key == "method") {
      if (sweep->find("mode"))
        throw SpecError(e.key_mark, where, "is W&B's name for sweep.mode; give one of them, not both");
      const std::string method = e.value.kind() == SpecNode::Kind::String ? e.value.as_string() : "";
      if (method == "bayes")
        throw SpecError(e.value.mark(), where,
                        "bayes is not supported (it proposes points from earlier results); expected grid or random");
      if (method != "grid" && method != "random")
        throw SpecError(e.value.mark(), where, "expected grid or random (W&B's methods that torchsweep runs), got " + e.value.describe());
      native.set("mode", e.value, e.key_mark);
    } else if (e.key == "run_cap") {
      if (sweep->find("samples"))
        throw SpecError(e.key_mark, where, "is W&B's name for sweep.samples; give one of them, not both");
      native.set("samples", e.value, e.key_mark);
    } else if (e.key == "early_terminate") {
      throw SpecError(e.key_mark, where, "early termination is not supported: every run trains to its budget");
    } else if (e.key == "metric") {
      // W&B reads it for bayes and early termination only, neither of which runs here.
      if (!e.value.is_map() || !e.value.find("name"))
        throw SpecError(e.value.mark(), where, "expected {name: METRIC, goal: minimize|maximize}, got " + e.value.describe());
    } else if (e.key == "program" || e.key == "command" || e.key == "project" || e.key == "entity") {
      throw SpecError(e.key_mark, where, "belongs to W&B's agent; here the spec itself says what to train: remove it");
    } else if (e.key == "parameters" && e.value.is_map()) {
      for (const auto& p : e.value.entries()) translation.parameter(p.key, p);
      native.set("parameters", parameters, e.key_mark);
    } else {
      native.set(e.key, e.value, e.key_mark);
    }
  }
  // W&B's run_cap also caps a grid; here a grid runs every point, which validation
  // checks against the cap.
  const SpecNode* mode = native.find("mode");
  if (sweep->find("run_cap") && !(mode && mode->kind() == SpecNode::Kind::String && mode->as_string() == "random")) {
    native.set("max_runs", *native.find("samples"), sweep->find_entry("run_cap")->key_mark);
    native.erase("samples");
  }
  root.set("sweep", native, written.find_entry("sweep")->key_mark);
  return root;
}

}  // namespace torchsweep
