// An optimizer whose step can be captured once in a CUDA graph and replayed.
//
// A graph replays the kernels it recorded with the numbers they were launched with: a
// learning rate or a bias correction computed on the host would be frozen at its
// capture-time value. A capturable optimizer (PyTorch's `capturable=True`) therefore
// keeps what changes between steps (each group's rate, each parameter's step count) in
// tensors on the parameters' device and computes its step from them with device
// operations only. The rate is set on the options as always (schedules call set_lr)
// and copied to the device before each step; the step counts advance on the device and
// are copied back into LibTorch's own per-parameter state objects when a checkpoint is
// written, so checkpoints move between these optimizers and LibTorch's.
//
// ForeachSGD, ForeachAdam, ForeachAdamW, ForeachRMSprop and ForeachAdagrad implement
// it: each is LibTorch's optimizer of that name with multi-tensor kernels.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace torchsweep {

class CapturableOptimizer {
 public:
  /// When the multi-tensor step is used: on CUDA parameters or once capturable
  /// (Auto; on the CPU LibTorch's own step is used otherwise), or always (tests: on the
  /// CPU the `_foreach` kernels apply the same per-tensor operations, bit for bit).
  enum class Use { Auto, Always };

  virtual ~CapturableOptimizer() = default;

  /// The optimizer itself.
  virtual torch::optim::Optimizer& optimizer() = 0;

  /// From now on a step is device operations only, reading the rate and the step
  /// counts from device tensors. Its numbers then differ from LibTorch's by rounding at
  /// most (bias corrections and decayed rates are computed on the device). Call it
  /// outside any capture; the parameters' state must exist before the first capture
  /// (the uncaptured warm-up steps make it).
  virtual void make_capturable() = 0;
  virtual bool capturable() const = 0;

  /// Copies each group's rate to the device where set_lr changed it: one small copy,
  /// no wait for the device. Must run before each step of a capturable optimizer, and
  /// outside any capture.
  virtual void sync_device_state() = 0;

  /// Writes what advanced on the device (step counts) into LibTorch's per-parameter
  /// state objects, so that reading state() sees it; one read from the device. save()
  /// does this itself. Const: the optimizer's state does not change, only its host copy.
  virtual void sync_host_state() const = 0;

  /// The tensors on the device that a capturable step advances besides the parameters
  /// and LibTorch's per-parameter state (each group's step counts; none for SGD): what
  /// must be put back to undo a step on the device (train/precision's skipped fp16 step).
  virtual std::vector<torch::Tensor> device_counters() const { return {}; }
};

/// Whether a step takes the multi-tensor path (see CapturableOptimizer::Use).
inline bool foreach_step_wanted(CapturableOptimizer::Use use, bool capturable,
                                const std::vector<torch::optim::OptimizerParamGroup>& groups) {
  if (use == CapturableOptimizer::Use::Always || capturable) return true;
  for (const auto& group : groups)
    for (const auto& p : group.params())
      if (p.is_cuda()) return true;
  return false;
}

/// The capturable form of `optimizer`, or nullptr where its step cannot be captured.
inline CapturableOptimizer* as_capturable(torch::optim::Optimizer& optimizer) {
  return dynamic_cast<CapturableOptimizer*>(&optimizer);
}
inline const CapturableOptimizer* as_capturable(const torch::optim::Optimizer& optimizer) {
  return dynamic_cast<const CapturableOptimizer*>(&optimizer);
}

}  // namespace torchsweep
