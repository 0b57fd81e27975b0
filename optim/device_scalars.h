// The numbers a capturable optimizer's step reads that change from step to step, kept
// in tensors on the parameters' device: each group's learning rate and each
// parameter's step count (see optim/capturable.h).
//
// They are float64 whatever the parameters' dtype, as the host computes with doubles:
// bias corrections and decayed rates computed from them on the device are the host's
// to within a unit in the last place of a double, and round to the same float nearly
// always. Steps are counted exactly up to 2^53.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "optim/param_state.h"

namespace torchsweep {

class DeviceScalars {
 public:
  /// A parameter's step count as the optimizer's state holds it (0 before its first step).
  using ReadStep = int64_t (*)(const torch::optim::Optimizer& optimizer, const torch::Tensor& param);
  /// Writes a step count into the state of a parameter that has state.
  using WriteStep = void (*)(const torch::optim::Optimizer& optimizer, const torch::Tensor& param, int64_t step);

  DeviceScalars(ReadStep read, WriteStep write) : read_(read), write_(write) {}

  /// Puts the optimizer's rates and step counts on its parameters' device.
  void start(const torch::optim::Optimizer& optimizer);
  bool started() const { return started_; }

  /// Copies each group's rate where the options' changed, and starts groups added
  /// since. Outside any capture.
  void sync_lr(const torch::optim::Optimizer& optimizer);
  /// Copies the step counts from the state again (after a checkpoint was loaded), into
  /// the same tensors: a graph that reads them reads the loaded counts.
  void reload_steps(const torch::optim::Optimizer& optimizer);
  /// Writes the step counts into the state: one read from the device.
  void write_steps(const torch::optim::Optimizer& optimizer) const;

  /// Each group's step counts (one per parameter; empty before start()).
  const std::vector<torch::Tensor>& steps() const { return steps_; }
  /// Group g's rate: a 0-dim float64 tensor.
  const torch::Tensor& lr(size_t g) const { return lrs_.at(g); }
  /// Adds one to the step counts of group g's parameters at `stepping` (indices into
  /// the group's params()) and returns all the group's counts: a 1-dim float64 tensor.
  torch::Tensor advance(size_t g, const std::vector<size_t>& stepping);

  /// The entries of a per-parameter tensor (one of the group's counts, or computed from
  /// them) at `indices`, as 0-dim views: the per-tensor numbers of a multi-tensor op.
  static std::vector<torch::Tensor> pick(const torch::Tensor& per_param, const std::vector<size_t>& indices);

 private:
  void add_group(const torch::optim::Optimizer& optimizer, const torch::optim::OptimizerParamGroup& group);
  torch::Tensor host_steps(const torch::optim::Optimizer& optimizer,
                           const torch::optim::OptimizerParamGroup& group) const;

  ReadStep read_;
  WriteStep write_;
  bool started_ = false;
  std::vector<torch::Tensor> lrs_;    ///< per group: 0-dim
  std::vector<double> lr_values_;     ///< per group: the rate its tensor holds
  std::vector<torch::Tensor> steps_;  ///< per group: one count per parameter
};

/// ReadStep and WriteStep for optimizers whose per-parameter state is ParamState.
template <typename ParamState>
int64_t step_in_state(const torch::optim::Optimizer& optimizer, const torch::Tensor& param) {
  const auto* state = find_param_state<ParamState>(optimizer, param);
  return state ? state->step() : 0;
}
template <typename ParamState>
void set_step_in_state(const torch::optim::Optimizer& optimizer, const torch::Tensor& param, int64_t step) {
  if (auto* state = find_param_state<ParamState>(optimizer, param)) state->step(step);
}

}  // namespace torchsweep
