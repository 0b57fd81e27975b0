// The spec's schema: which keys a spec has, what each accepts, and validation
// of one run's spec tree into its fully resolved config (defaults filled in).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/cadence.h"
#include "base/spec_node.h"
#include "spec/fields.h"

namespace torchsweep {

/// Largest number of runs one sweep may expand to (and values one range() may give).
constexpr size_t kMaxRunsPerSweep = 100000;

/// Top-level keys whose value names a registry entry plus that entry's options
/// (`model`, `data`, `loss`, `optimizer`, and the optional `scheduler`); either
/// `{name: x, ...}` or just `x`.
const std::vector<std::string>& registry_sections();

/// The field a dotted path refers to in this spec (looking up registry entries by
/// the name the spec gives), or nullptr when the path names no known field.
/// Registry names themselves (`model.name`, or `loss` in shorthand) are string fields.
const Field* field_at(const SpecNode& root, const std::vector<std::string>& path);

/// The mapping that holds the last part of `path`, creating mappings on the way and
/// widening registry shorthand (`loss: mse` becomes `loss: {name: mse}`). Returns
/// nullptr when a part on the way holds a value that cannot take keys, and then
/// sets `blocked` to that part's dotted path.
SpecNode* parent_for(SpecNode& root, const std::vector<std::string>& path, const Mark& mark, std::string& blocked);

/// Validates a spec tree in which every swept list has been replaced by one of its
/// values; returns the resolved config. Reports every problem it finds among the
/// top-level keys, the sections and the budget (SpecError for one, SpecErrors for
/// several); the checks that join sections run once those are valid.
nlohmann::json validate_run_spec(const SpecNode& root);

/// How often a run evaluates and checkpoints when the spec does not say: every epoch
/// under an epoch budget, at the end under a step budget. `train` is the resolved section.
Cadence default_cadence(const nlohmann::json& train);

/// The config as its hash sees it: without the description, and without options
/// added after runs were first recorded while they hold their default.
nlohmann::json hashed_config(const nlohmann::json& config);

/// Validates one registry section (`model`, `data`, `loss`, `optimizer`) of a spec
/// tree: its name, its options with defaults filled in, and the entry's own check.
nlohmann::json validate_section(const SpecNode& root, const std::string& section);

/// Runs the registry entries' `complete` hooks again on a recorded config, so that
/// what they recorded from the outside world (a model file's hash) still holds before
/// the config runs again; SpecError at `origin` (e.g. "run 7's config") when not.
void recheck_recorded_config(const nlohmann::json& config, const std::string& origin);

/// Validates the `sweep` section's own keys and returns them resolved: mode, samples,
/// seed, repeats (parameters are read by the sweep expansion).
nlohmann::json validate_sweep_section(const SpecNode& root);

}  // namespace torchsweep
