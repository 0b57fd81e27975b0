// The seed notebook's MNIST network: nine Conv2d → ReLU → BatchNorm2d blocks, one
// max-pool, Dropout2d after blocks 5–9, global average pooling, a 32 → 10 linear
// layer and log_softmax. 19,642 parameters (../shared/reference/seed-values.md §2).
#pragma once

#include "models/layered_model.h"

namespace torchsweep {

struct S6CnnOptions {
  /// Dropout2d probability after blocks 5 to 9.
  double dropout = 0.01;
};

/// The network's layers as data, the same form a `sequential` spec writes.
nlohmann::json s6_cnn_layers(const S6CnnOptions& options = {});

void register_s6_cnn(ModelRegistry& registry);

}  // namespace torchsweep
