// Sweeps: a spec with lists where single values are expected expands into runs.
//   - a list in place (`optimizer.lr: [0.1, 0.2]`) is an axis;
//   - so is each key under `sweep.parameters` (`seed: [1, 2, 3]`, or in random
//     mode a distribution such as `{distribution: log_uniform, low: 1e-4, high: 0.1}`);
//   - `sweep.mode: grid` takes every combination (first axis slowest), `zip` pairs
//     them, `random` draws `sweep.samples` points (lists are then choices), `tpe`
//     and `bayes` draw the first few the same way and propose the rest from the
//     finished runs' `sweep.metric` (sweep/tpe_sampler.h, sweep/gp_sampler.h);
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
#include "sweep/search_space.h"

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

/// How a tpe or bayes sweep makes its runs: the first `startup` are drawn at random
/// with the sweep (the draws `mode: random` makes with that seed), each later one is
/// proposed from the finished runs' metric, up to `samples` runs in all.
struct SearchSettings {
  std::string metric;            ///< sweep.metric.name
  std::string goal = "minimize";  ///< minimize | maximize
  int64_t samples = 0;           ///< every run of the sweep, drawn or proposed
  int64_t startup = 0;           ///< runs drawn at random (planned with the sweep): min(sweep.startup, samples)
  uint64_t seed = 0;             ///< sweep.seed, else the spec's seed
  SearchSpace space;             ///< one dimension per axis, in the axes' order
};

/// The settings as recorded with the sweep: {"metric": "val_loss", "goal": "minimize",
/// "samples": 30, "startup": 10, "seed": 0, "space": [...]} (search_space_to_json).
nlohmann::json search_settings_to_json(const SearchSettings& settings);
/// Back from search_settings_to_json; std::invalid_argument when it is not that.
SearchSettings search_settings_from_json(const nlohmann::json& recorded);

/// A validated, expanded sweep: everything `run` needs, nothing written yet.
struct SweepPlan {
  std::string name;
  std::string description;
  std::string spec_path;
  std::vector<std::string> overrides;
  std::string spec_text;   ///< the spec after overrides, as JSON
  std::string spec_hash;
  std::string mode;        ///< grid | zip | random | tpe | bayes
  int64_t repeats = 1;     ///< runs per point (seeds seed .. seed+repeats-1)
  std::string fuse = "auto";  ///< sweep.fuse: auto | on | off
  std::vector<std::string> swept_keys;
  /// For tpe and bayes only its first `search.startup` runs; the rest are proposed
  /// one by one as runs finish (proposed_run).
  std::vector<RunConfig> runs;
  /// mode tpe | bayes: how the runs after `runs` are proposed (empty otherwise).
  SearchSettings search;
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

/// A run of a tpe or bayes sweep at a proposed point: `written` is the spec as planned
/// (after overrides, W&B's spelling allowed), `point` one value per key of `space`
/// ({"optimizer.lr": 0.004}), `index` its position in the sweep. The config is
/// resolved and validated as plan_sweep does each run; throws SpecError.
RunConfig proposed_run(const SpecNode& written, const SearchSpace& space, const nlohmann::json& point, int64_t index);

/// The seed of the proposal for run `index` of a sweep seeded `seed`: each run's draws
/// are its own, whatever order the runs finish in.
uint64_t proposal_seed(uint64_t seed, int64_t index);

/// SHA-1 of the config's canonical JSON (keys sorted, no spaces), first 16 hex digits.
std::string config_hash(const nlohmann::json& config);

}  // namespace torchsweep
