// W&B's sweep configuration as another spelling of a spec's `sweep:` section, so that
// a W&B user's sweep carries over:
//
//   sweep:                                   sweep:
//     method: random                           mode: random
//     run_cap: 20                              samples: 20
//     parameters:                              parameters:
//       optimizer.lr:                            optimizer.lr:
//         distribution: log_uniform_values          {distribution: log_uniform, low: 1e-4, high: 0.1}
//         min: 1.0e-4                            seed: [1, 2, 3]
//         max: 0.1                             (and optimizer.momentum: 0.9 in the spec itself)
//       seed: {values: [1, 2, 3]}
//       optimizer.momentum: {value: 0.9}
//
// Nested `parameters:` blocks give dotted keys; `min`/`max` without a distribution are
// int_uniform for integers, else uniform (W&B's inference). `early_terminate: {type:
// hyperband, ...}` becomes `early_stop: {rule: wandb_hyperband, ...}` over the metric of
// `metric: {name, goal}` (sweep/early_stopping.h). `method: bayes` is mode bayes
// (sweep/gp_sampler.h) with `metric`'s name and goal as sweep.metric and run_cap as
// samples. What torchsweep cannot do (W&B's launcher keys, the q_ and normal
// distributions) is
// refused with the reason. Native entries pass through, so both spellings may mix.
//
// Each W&B parameter is one of W&B's shapes — {value}, {values}, a distribution
// {distribution, min, max} or {parameters} — as W&B's own schema has them: a key that
// another shape uses, or that no shape uses, is an error at its position, and so is a
// key given twice (`optimizer.lr` and `optimizer: {parameters: {lr: ...}}`). Errors name
// the keys as the user wrote them, also those found after the translation.
#pragma once

#include <map>
#include <string>

#include "base/error_list.h"
#include "base/spec_node.h"

namespace torchsweep {

/// A spec with its sweep section in torchsweep's own spelling.
struct NativeSweep {
  /// The spec; marks stay where the user wrote each value. A spec without W&B keys is unchanged.
  SpecNode root;
  /// Each translated key and the key the user wrote: "sweep.max_runs" → "sweep.run_cap",
  /// "sweep.parameters.optimizer.lr.high" → "sweep.parameters.optimizer.parameters.lr.max".
  std::map<std::string, std::string> user_keys;

  /// `key` as the user wrote it: its longest translated prefix replaced.
  std::string user_key(const std::string& key) const;
};

/// Translates the W&B keys of the spec's sweep section. Every problem with them is
/// added to `errors`, and the entries at fault are left out of the result.
NativeSweep translate_wandb_sweep(const SpecNode& root, ErrorList& errors);

/// The spec with its sweep section in torchsweep's own spelling; throws the problems.
SpecNode with_native_sweep(const SpecNode& root);

}  // namespace torchsweep
