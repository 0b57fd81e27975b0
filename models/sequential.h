// `sequential`: a model declared entirely in the spec as a list of layers.
//
//   model:
//     name: sequential
//     input: [1, 28, 28]
//     layers:
//       - conv2d: {out: 16, kernel: 3}
//       - relu
//       - flatten
//       - linear: {out: 10}
//       - log_softmax
//
// Shapes are checked when the spec is validated: a layer that does not fit is a
// spec error at that layer's line.
#pragma once

#include "models/layered_model.h"

namespace torchsweep {

void register_sequential(ModelRegistry& registry);

}  // namespace torchsweep
