// How a step computes in lower precision (train.precision: fp32, bf16, fp16).
//
// Parameters, gradients and optimizer state stay in the model's dtype (fp32); what
// changes is the forward pass and the loss, which run under autocast: convolutions and
// matrix products take their inputs in bf16 or fp16, while the operations that need
// range or accuracy (reductions, softmax, losses) stay in fp32, as LibTorch's autocast
// lists say for each device. Backward and the update run outside autocast, as PyTorch
// recommends: backward ops already run in the dtype autocast chose for their forward.
//
// - bf16 has fp32's exponent range: gradients do not underflow, so it needs nothing
//   more. It is the CPU's lower precision (oneDNN's bf16 kernels) and CUDA's on Ampere
//   and later.
// - fp16 has 5 exponent bits: small gradients flush to zero. Its loss is therefore
//   scaled up before backward and the gradients scaled back down before the update
//   (GradScaler, PyTorch's torch.amp.GradScaler). fp16 is for CUDA only: LibTorch's CPU
//   autocast has no fp16, and its CPU fp16 kernels are few and slow.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace torchsweep {

enum class Precision { Fp32, Bf16, Fp16 };

/// "fp32", "bf16" or "fp16" (as train.precision writes it); anything else is an
/// InputError naming the values expected.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision precision);

/// Why `precision` cannot train on `device` ("" when it can): fp16 needs CUDA.
std::string precision_obstacle(Precision precision, const torch::Device& device);

/// Autocast to `precision` on `device`'s type while in scope; fp32 changes nothing.
/// Like Python's torch.autocast it saves the device type's autocast state (enabled,
/// dtype, whether casts are cached), sets its own, counts itself in the nesting depth,
/// and on exit (a return or an exception) clears the cache of cast weights when it was
/// the outermost scope and restores what it saved. A step captured in a CUDA graph
/// turns the cache off (`cache = false`): cast weights cached across the capture's edge
/// would be read at replay from memory the graph does not own.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device, bool cache = true);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_type_ = c10::DeviceType::CPU;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
  bool previous_cache_ = true;
};

/// Whether autocast is on for `type`, and the dtype it casts to (across LibTorch's
/// two spellings of these calls).
bool autocast_enabled(c10::DeviceType type);
at::ScalarType autocast_dtype(c10::DeviceType type);

/// fp16's loss scaling, as torch.amp.GradScaler: the loss is multiplied by the scale
/// before backward; before the update the gradients are multiplied by 1/scale and
/// checked; a step whose gradients hold an inf or nan is skipped and the scale halved
/// (backoff), and after `growth_interval` finite steps in a row the scale doubles
/// (growth), unless that would overflow fp32.
///
/// The scale, the count of finite steps and the inf flag are tensors on the device, and
/// scaling, unscaling and updating the scale are device operations only, so that the
/// scaler can live inside a captured CUDA graph. On CUDA they are PyTorch's own kernels
/// (at::_amp_foreach_non_finite_check_and_unscale_, at::_amp_update_scale_); elsewhere
/// (LibTorch 1.13 has no CPU kernels for them) the same arithmetic in plain tensor ops.
class GradScaler {
 public:
  struct Options {
    double init_scale = 65536.0;  ///< 2^16
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int64_t growth_interval = 2000;
  };

  /// How a step with inf or nan gradients is skipped.
  enum class Skip {
    /// Read the inf flag on the host and do not call the optimizer's step: exactly
    /// PyTorch's GradScaler (which reads it with .item()), for any optimizer. One wait
    /// for the device a step.
    OnHost,
    /// No host read: the step runs, and every tensor it writes (the parameters, the
    /// optimizer's per-parameter state, a capturable optimizer's step counts on the
    /// device) is put back as it was where the flag is set — `where(inf, before,
    /// after)`, which selects the old bits exactly, whatever inf or nan the step wrote.
    /// Scaling the rate or the gradients to zero would not do: momentum and moment
    /// estimates still decay and step counts still advance. This costs a copy of those
    /// tensors a step. It needs every number the step changes to be in those tensors
    /// (so: a capturable optimizer made capturable, whose step counts are on the
    /// device, or one that counts no steps) and the optimizer's state to exist already:
    /// a step that creates state (an optimizer's first) cannot be undone, and is
    /// refused. The captured step uses it; the eager step uses OnHost.
    OnDevice,
  };

  explicit GradScaler(const torch::Device& device, Options options);
  explicit GradScaler(const torch::Device& device) : GradScaler(device, Options{}) {}

  /// loss * scale, for backward.
  torch::Tensor scale(const torch::Tensor& loss) const;
  /// Multiplies the gradients of the optimizer's parameters by 1/scale and sets the inf
  /// flag when any of them holds an inf or nan. Once per step: step() calls it when it
  /// was not called since the last update() (call it first to read or clip the true
  /// gradients).
  void unscale(torch::optim::Optimizer& optimizer);
  /// Unscales (when not done yet) and takes the optimizer's step unless the gradients
  /// were not finite. Returns false when OnHost skipped the step; OnDevice returns true
  /// (whether it took effect is on the device).
  bool step(torch::optim::Optimizer& optimizer, Skip skip = Skip::OnHost);
  /// Backs off or grows the scale from this step's inf flag, then clears the flag for
  /// the next step. Call after step().
  void update();

  const Options& options() const { return options_; }
  /// The scale: a 1-element float32 tensor on the device.
  const torch::Tensor& scale_tensor() const { return scale_; }
  /// Finite steps in a row since the scale last changed: 1-element int32.
  const torch::Tensor& growth_tracker() const { return growth_tracker_; }
  /// 1 when this step's gradients were not finite (after unscale, until update): float32.
  const torch::Tensor& found_inf() const { return found_inf_; }

  /// The scale and the growth tracker (the state torch.amp.GradScaler's state_dict
  /// carries besides its constant options), for checkpoints.
  void save(torch::serialize::OutputArchive& archive) const;
  /// Loads them into the same tensors, so that a captured graph reading them reads the
  /// loaded values.
  void load(torch::serialize::InputArchive& archive);

 private:
  Options options_;
  torch::Device device_;
  torch::Tensor scale_, growth_tracker_, found_inf_;
  bool unscaled_ = false;
};

/// The tensors an optimizer's step writes: its parameters, the tensors of their state
/// (LibTorch's SGD, Adam, AdamW, RMSprop and Adagrad state), and, for a capturable
/// optimizer, its counts on the device. Throws for state of another kind, or step
/// counts kept on the host, which a device-side skip could not restore.
std::vector<torch::Tensor> tensors_written_by_step(torch::optim::Optimizer& optimizer);

}  // namespace torchsweep
