// Sweeps: a spec with lists where single values are expected expands into runs.
//   - a list in place (`optimizer.lr: [0.1, 0.2]`) is an axis;
//   - so is each key under `sweep.parameters` (`seed: [1, 2, 3]`, or in random
//     mode a distribution such as `{distribution: log_uniform, low: 1e-4, high: 0.1}`);
//   - `sweep.mode: grid` takes every combination (first axis slowest), `zip` pairs
//     them, `random` draws `sweep.samples` points (lists are then choices);
//   - `sweep.repeats: k` runs every point k times with seeds seed .. seed+k-1.
// Each run's resolved config is hashed; the hash ignores key order and formatting.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/spec_node.h"
#include "spec/spec.h"
#include "sweep/early_stopping.h"
#include "sweep/sampling.h"

namespace torchsweep {

struct SweepAxis {
  std::string key;              ///< dotted path, e.g. "optimizer.lr"
  std::vector<SpecNode> values; ///< a list axis: each value keeps its own mark
  /// A random-mode axis: what to draw from (a list axis becomes a choice).
  Distribution distribution;
  bool is_distribution = false; ///< written as a distribution, not a list
  Mark mark;                    ///< where the list or distribution was written
};

/// One run of a sweep.
struct RunConfig {
  int64_t index = 0;           ///< position in the sweep, from 0
  nlohmann::json config;       ///< fully resolved: every option with its value
  std::string config_hash;     ///< see config_hash()
  nlohmann::json swept;        ///< {"optimizer.lr": 0.1, ...}: this run's swept values
};

/// A validated, expanded sweep: everything `run` needs, nothing written yet.
struct SweepPlan {
  std::string name;
  std::string description;
  std::string spec_path;
  std::vector<std::string> overrides;
  std::string spec_text;   ///< the spec after overrides, as JSON
  std::string spec_hash;
  std::string mode;        ///< grid | zip | random
  int64_t repeats = 1;     ///< runs per point (seeds seed .. seed+repeats-1)
  std::string fuse = "auto";  ///< sweep.fuse: auto | on | off
  std::vector<std::string> swept_keys;
  std::vector<RunConfig> runs;
  /// sweep.early_stop (rule None when the sweep has none); W&B's early_terminate
  /// translates to it.
  EarlyStopping early_stop;
};

/// The lists (and distributions) in the spec that sweep, in the order written
/// (sweep.parameters last).
std::vector<SweepAxis> collect_axes(const SpecNode& root);

/// Expands and validates every run of the spec tree (after overrides).
SweepPlan plan_sweep(const SpecNode& root, const std::string& spec_path, const std::vector<std::string>& overrides);

/// Reads the spec file, applies overrides, validates and expands. Throws InputError/SpecError.
SweepPlan load_sweep(const std::string& spec_path, const std::vector<std::string>& overrides);

/// SHA-1 of the config's canonical JSON (keys sorted, no spaces), first 16 hex digits.
std::string config_hash(const nlohmann::json& config);

}  // namespace torchsweep
