// A name → factory registry in the manner of c10/util/Registry.h: explicit
// registration, duplicates rejected, unknown names answered with the list of
// names that exist. One instance per kind (models, datasets, losses, optimizers).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/field.h"

namespace torchsweep {

/// The spec tree (base/spec_node.h); an entry's check points its errors into it.
class SpecNode;

template <class Factory>
class Registry {
 public:
  struct Entry {
    std::string name;
    /// One line for `torchsweep models` and the docs.
    std::string description;
    /// The options this entry accepts under its section of the spec.
    std::vector<Field> options;
    Factory factory;
    /// Optional: checks that need more than one option, or the outside world
    /// (layer shapes, data files), before anything runs. Throws SpecError/InputError;
    /// `section` is the spec node, so errors can point at the line at fault.
    std::function<void(const SpecNode& section, const nlohmann::json& options)> check = nullptr;
    /// Optional: completes the resolved options from the outside world before
    /// `check` runs, so that the run's config records it (a model file's content
    /// hash, filled in when the spec leaves it out and verified when it is given).
    /// Runs again on a recorded config before a rerun (recheck_recorded_config), so it
    /// must accept options it completed itself. Throws SpecError/InputError.
    std::function<void(const SpecNode& section, nlohmann::json& options)> complete = nullptr;
  };

  /// `kind` names the registry in messages: "model", "dataset", ...
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  /// Adds an entry; a name registered twice is a programming error.
  void add(Entry entry) {
    if (entry.name.empty()) throw std::logic_error(kind_ + " registry: empty name");
    if (entries_.count(entry.name))
      throw std::logic_error(kind_ + " registry: '" + entry.name + "' is already registered");
    std::string name = entry.name;
    entries_.emplace(std::move(name), std::move(entry));
  }

  bool has(const std::string& name) const { return entries_.count(name) != 0; }

  /// The entry, or InputError that lists the names that exist.
  const Entry& get(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) throw InputError(unknown_name_message(name));
    return it->second;
  }

  /// Sorted names.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }

  const std::string& kind() const { return kind_; }

  /// "unknown model 'x', expected one of: a, b (did you mean 'a'?)"
  std::string unknown_name_message(const std::string& name) const {
    std::string message = "unknown " + kind_ + " '" + name + "', expected one of: " + join(names());
    const std::string close = closest_match(name, names());
    if (!close.empty()) message += " (did you mean '" + close + "'?)";
    return message;
  }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace torchsweep
