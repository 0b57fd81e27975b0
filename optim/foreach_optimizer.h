// What every multi-tensor, capturable optimizer shares around its own step: LibTorch's
// optimizer `Base` with the same options and per-parameter state (`State`, whose step
// count the device advances once capturable), the CapturableOptimizer interface over the
// device's rate and step counts (optim/device_scalars), and checkpoints that are
// LibTorch's archive with the counts brought back from the device (and taken to it on
// load). ForeachAdam, ForeachAdamW, ForeachRMSprop and ForeachAdagrad derive from it
// and write only their step.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "optim/capturable.h"
#include "optim/device_scalars.h"

namespace torchsweep {

template <typename Base, typename Options, typename State>
class ForeachOptimizer : public Base, public CapturableOptimizer {
 public:
  ForeachOptimizer(std::vector<torch::Tensor> params, Options options, Use use)
      : Base(std::move(params), std::move(options)), use_(use) {}

  /// LibTorch's archive, with the step counts the device advanced.
  void save(torch::serialize::OutputArchive& archive) const override {
    sync_host_state();
    Base::save(archive);
  }
  /// LibTorch's archive; a capturable optimizer takes its step counts to the device.
  void load(torch::serialize::InputArchive& archive) override {
    Base::load(archive);
    device_.reload_steps(*this);
  }

  torch::optim::Optimizer& optimizer() override { return *this; }
  void make_capturable() override { device_.start(*this); }
  bool capturable() const override { return device_.started(); }
  void sync_device_state() override { device_.sync_lr(*this); }
  void sync_host_state() const override { device_.write_steps(*this); }
  std::vector<torch::Tensor> device_counters() const override { return device_.steps(); }

 protected:
  /// Whether this step takes the multi-tensor path (else LibTorch's own step runs).
  bool foreach_step() const { return foreach_step_wanted(use_, capturable(), this->param_groups_); }

  Use use_;
  DeviceScalars device_{step_in_state<State>, set_step_in_state<State>};
};

}  // namespace torchsweep
