// `torchsweep summary`: a model's layers, output shapes and parameter counts,
// with the totals and memory estimate torchsummary prints.
#pragma once

#include <ostream>

#include "models/model.h"

namespace torchsweep {

struct ModelSummary {
  std::vector<LayerInfo> layers;
  std::vector<int64_t> input_shape;
  int64_t total_parameters = 0;
  int64_t trainable_parameters = 0;
  /// Estimates for one sample in float32, in MiB, as torchsummary computes them.
  double input_mb = 0, forward_backward_mb = 0, parameters_mb = 0;
  double total_mb() const { return input_mb + forward_backward_mb + parameters_mb; }
};

ModelSummary summarize_model(const Model& model);

/// The summary as torchsummary lays it out.
void print_summary(const ModelSummary& summary, std::ostream& out);

}  // namespace torchsweep
