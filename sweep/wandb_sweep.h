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
// int_uniform for integers, else uniform (W&B's inference). What torchsweep cannot do
// (bayes, early_terminate, W&B's launcher keys, the q_ and normal distributions) is
// refused with the reason. Native entries pass through, so both spellings may mix.
#pragma once

#include "base/spec_node.h"

namespace torchsweep {

/// The spec with its sweep section in torchsweep's own spelling; marks stay where the
/// user wrote each value. A spec without W&B keys comes back unchanged.
SpecNode with_native_sweep(const SpecNode& root);

}  // namespace torchsweep
