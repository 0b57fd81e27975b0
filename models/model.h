// The model interface and its registry. A model is a torch::nn::Module with a
// forward pass; it may add its own per-step metrics (the seed network logs its
// spreadsheet's columns).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/registry.h"
#include "models/layers.h"
#include "results/metric_sink.h"

namespace torchsweep {

/// What a model sees of one optimizer step, after backward and before the update.
struct StepView {
  const torch::Tensor& inputs;
  const torch::Tensor& targets;
  const torch::Tensor& outputs;
  double loss;
};

class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;
  /// The dtype the model's parameters and inputs use.
  virtual torch::Dtype dtype() const { return torch::kFloat32; }
  /// The per-sample input shape (e.g. {1, 28, 28}); empty when the model does not say.
  virtual std::vector<int64_t> input_shape() const { return {}; }
  /// The layer table for `torchsweep summary`; empty when the model is not built from layers.
  virtual std::vector<LayerInfo> layer_info() const { return {}; }
  /// Appends extra metrics of this step to `row` (which may place `train/loss` itself).
  virtual void append_step_metrics(const StepView& view, MetricRow& row) const {
    (void)view;
    (void)row;
  }
  /// Whether append_step_metrics reads the model (its weights or gradients), which must
  /// then happen between backward and the update: a step captured as one piece cannot
  /// stop there, so logged steps of such a model run uncaptured. A model that logs
  /// nothing of its own says false.
  virtual bool reads_itself_at_logged_steps() const { return true; }
};

/// Builds a model from its resolved options (the model section of a run's config).
using ModelFactory = std::function<std::shared_ptr<Model>(const nlohmann::json& options)>;
using ModelRegistry = Registry<ModelFactory>;

/// Registers the models that ship with torchsweep.
void register_builtin_models(ModelRegistry& registry);

/// Number of parameters (trainable or not; buffers excluded).
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace torchsweep
