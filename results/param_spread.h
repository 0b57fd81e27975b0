// What the parameters of runs have in common and where they differ: a group of runs
// taken together (`--by` values in `results compare`, `curves`, `plot`) that pools
// different configurations, not just seeds, is named with what differs; and the
// parameters a chart's runs share are named in its title.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// Runs taken together under one label.
struct RunGroup {
  std::string label;  ///< "optimizer.lr = 0.1"
  std::vector<int64_t> run_ids;
};

/// A parameter and the distinct values it takes over some runs, in value order (null:
/// a run without it).
struct ParamValues {
  std::string key;
  std::vector<SqlValue> values;
};

/// A group whose runs differ in more than their seeds.
struct PooledGroup {
  std::string label;
  size_t runs = 0;
  std::vector<ParamValues> differing;  ///< by key
};

/// Whether runs taken as repeats of one configuration are expected to differ in this
/// parameter: the seed (repeats draw their own), and what only names a run (name,
/// description) or says how its sweep was laid out (sweep.*).
bool differs_between_repeats(const std::string& key);

/// The groups whose runs differ in a parameter other than the `by` keys and those of
/// differs_between_repeats(): momentum 0 and 0.9 pooled under one learning rate.
/// Within one sweep only its swept keys can differ; runs of several sweeps are
/// compared on every parameter.
std::vector<PooledGroup> pooled_groups(Database& db, const std::vector<RunGroup>& groups,
                                       const std::vector<std::string>& by);

/// What a command says about pooled groups (on stderr), one line per group (at most
/// `max_groups`, then a count) naming each differing parameter and its values, and how to
/// group by them too: `--by optimizer.lr,optimizer.momentum`. "" when none.
std::string pooled_warning(const std::string& command, const std::vector<PooledGroup>& pooled,
                           const std::vector<std::string>& by, size_t max_groups = 5);

/// What a set of runs has in common: their sweeps, and the parameters someone chose for
/// them (swept in their sweeps, or set by the sweeps' overrides) that have one value
/// across all of them.
struct RunsInCommon {
  std::vector<std::pair<int64_t, std::string>> sweeps;  ///< id and name, by id
  std::vector<std::pair<std::string, SqlValue>> fixed;  ///< by key
};
RunsInCommon runs_in_common(Database& db, const std::vector<int64_t>& run_ids);

}  // namespace torchsweep
