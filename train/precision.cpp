#include "train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <map>

#include "base/error.h"
#include "optim/capturable.h"
#include "optim/param_state.h"

// LibTorch 2.4 names autocast's state by device type and deprecates the per-device
// calls that 1.13 has.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace torchsweep {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "bf16") return Precision::Bf16;
  if (name == "fp16") return Precision::Fp16;
  throw InputError("train.precision: expected one of fp32, bf16, fp16, got \"" + name + "\"");
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
    case Precision::Fp32: break;
  }
  return "fp32";
}

std::string precision_obstacle(Precision precision, const torch::Device& device) {
  if (precision != Precision::Fp16 || device.is_cuda()) return "";
  return "train.precision fp16 needs a CUDA device (this run is on " + device.str() +
         "); bf16 is the CPU's lower precision";
}

namespace {

at::ScalarType lower_dtype(Precision precision) {
  return precision == Precision::Fp16 ? at::kHalf : at::kBFloat16;
}

void set_autocast_enabled(c10::DeviceType type, bool enabled) {
#if TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA) at::autocast::set_enabled(enabled);
  else at::autocast::set_cpu_enabled(enabled);
#endif
}

void set_autocast_dtype(c10::DeviceType type, at::ScalarType dtype) {
#if TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

bool autocast_enabled(c10::DeviceType type) {
#if TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(c10::DeviceType type) {
#if TORCHSWEEP_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                       : at::autocast::get_autocast_cpu_dtype();
#endif
}

AutocastScope::AutocastScope(Precision precision, const torch::Device& device, bool cache) {
  if (precision == Precision::Fp32) return;
  const std::string obstacle = precision_obstacle(precision, device);
  if (!obstacle.empty()) throw InputError(obstacle);
  // Autocast exists for the CPU and CUDA; CUDA's state stands for every GPU.
  device_type_ = device.is_cuda() ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  previous_enabled_ = autocast_enabled(device_type_);
  previous_dtype_ = autocast_dtype(device_type_);
  previous_cache_ = at::autocast::is_autocast_cache_enabled();
  set_autocast_enabled(device_type_, true);
  set_autocast_dtype(device_type_, lower_dtype(precision));
  at::autocast::set_autocast_cache_enabled(cache);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache holds the cast copies of the weights; they are stale once the weights are
  // updated, so the outermost scope drops them (as Python's torch.autocast does).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_type_, previous_enabled_);
  set_autocast_dtype(device_type_, previous_dtype_);
  at::autocast::set_autocast_cache_enabled(previous_cache_);
}

GradScaler::GradScaler(const torch::Device& device, Options options) : options_(options), device_(device) {
  const auto floats = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  scale_ = torch::full({1}, options_.init_scale, floats);
  growth_tracker_ = torch::zeros({1}, floats.dtype(torch::kInt32));
  found_inf_ = torch::zeros({1}, floats);
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const {
  // As PyTorch: the 1-element scale is not a 0-dim tensor, so the product promotes an
  // fp16 loss to float32 (2^16 times an fp16 loss would overflow fp16).
  return (loss * scale_).reshape(loss.sizes());
}

void GradScaler::unscale(torch::optim::Optimizer& optimizer) {
  torch::NoGradGuard no_grad;
  unscaled_ = true;
  // 1/scale in double, rounded once to float32, as PyTorch computes it.
  const auto inv_scale = scale_.to(torch::kFloat64).reciprocal().to(torch::kFloat32);
  // 0-dim, so that multiplying keeps each gradient's dtype.
  const auto inv_scale_scalar = inv_scale.reshape({});
  std::map<at::ScalarType, std::vector<torch::Tensor>> grads;  // the CUDA kernel takes one dtype a call
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params())
      if (p.grad().defined()) grads[p.grad().scalar_type()].push_back(p.grad());
  for (auto& [dtype, list] : grads) {
    (void)dtype;
    if (device_.is_cuda()) {
      at::_amp_foreach_non_finite_check_and_unscale_(list, found_inf_, inv_scale);
      continue;
    }
    // The kernel's arithmetic: any element that is not finite sets the flag; every
    // gradient is multiplied by 1/scale (the flag is checked before the multiply).
    std::vector<torch::Tensor> bad;
    bad.reserve(list.size());
    for (const auto& g : list) bad.push_back(torch::isfinite(g).all().logical_not());
    found_inf_.copy_(torch::maximum(found_inf_, torch::stack(bad).any().to(torch::kFloat32).reshape({1})));
    for (auto& g : list) g.mul_(inv_scale_scalar);
  }
}

bool GradScaler::step(torch::optim::Optimizer& optimizer, Skip skip) {
  if (!unscaled_) unscale(optimizer);
  if (skip == Skip::OnHost) {
    if (found_inf_.item<float>() != 0.0f) return false;
    optimizer.step();
    return true;
  }
  torch::NoGradGuard no_grad;
  const auto written = tensors_written_by_step(optimizer);
  std::vector<torch::Tensor> before;
  before.reserve(written.size());
  for (const auto& t : written) before.push_back(t.clone());
  const size_t states = optimizer.state().size();
  optimizer.step();
  if (optimizer.state().size() != states)
    throw RuntimeFailure("a step that creates the optimizer's state cannot be skipped on the device; take a step "
                         "first (GradScaler::Skip::OnHost)");
  const auto inf = found_inf_.reshape({}).ne(0);
  for (size_t i = 0; i < written.size(); ++i) written[i].copy_(torch::where(inf, before[i], written[i]));
  return true;
}

void GradScaler::update() {
  torch::NoGradGuard no_grad;
  if (device_.is_cuda()) {
    at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor, options_.backoff_factor,
                           options_.growth_interval);
  } else {
    // _amp_update_scale_'s arithmetic: on inf, scale *= backoff and the count restarts;
    // else the count goes up, and reaching the interval it restarts and the scale grows
    // (kept as it was if growing would overflow float32).
    const auto inf = found_inf_.ne(0);
    const auto counted = growth_tracker_ + 1;
    const auto due = counted.eq(options_.growth_interval);
    const auto grown = scale_ * options_.growth_factor;
    const auto grows = due.logical_and(torch::isfinite(grown));
    const auto next_scale = torch::where(inf, scale_ * options_.backoff_factor, torch::where(grows, grown, scale_));
    const auto next_count = torch::where(inf.logical_or(due), torch::zeros_like(counted), counted);
    scale_.copy_(next_scale);
    growth_tracker_.copy_(next_count);
  }
  found_inf_.zero_();
  unscaled_ = false;
}

void GradScaler::save(torch::serialize::OutputArchive& archive) const {
  archive.write("scale", scale_.to(torch::kCPU));
  archive.write("growth_tracker", growth_tracker_.to(torch::kCPU));
}

void GradScaler::load(torch::serialize::InputArchive& archive) {
  torch::Tensor scale, tracker;
  archive.read("scale", scale);
  archive.read("growth_tracker", tracker);
  torch::NoGradGuard no_grad;
  scale_.copy_(scale);
  growth_tracker_.copy_(tracker);
}

namespace {

/// The tensors of one parameter's LibTorch state, and whether that state counts steps
/// on the host. False when the state is of a kind not known here.
bool state_tensors(const torch::optim::OptimizerParamState& state, std::vector<torch::Tensor>& out,
                   bool& counts_steps) {
  auto add = [&](const torch::Tensor& t) {
    if (t.defined()) out.push_back(t);
  };
  if (const auto* s = dynamic_cast<const torch::optim::SGDParamState*>(&state)) {
    add(s->momentum_buffer());
    return true;
  }
  counts_steps = true;
  if (const auto* s = dynamic_cast<const torch::optim::AdamParamState*>(&state)) {
    add(s->exp_avg()), add(s->exp_avg_sq()), add(s->max_exp_avg_sq());
    return true;
  }
  if (const auto* s = dynamic_cast<const torch::optim::AdamWParamState*>(&state)) {
    add(s->exp_avg()), add(s->exp_avg_sq()), add(s->max_exp_avg_sq());
    return true;
  }
  if (const auto* s = dynamic_cast<const torch::optim::RMSpropParamState*>(&state)) {
    add(s->square_avg()), add(s->momentum_buffer()), add(s->grad_avg());
    return true;
  }
  if (const auto* s = dynamic_cast<const torch::optim::AdagradParamState*>(&state)) {
    add(s->sum());
    return true;
  }
  return false;
}

}  // namespace

std::vector<torch::Tensor> tensors_written_by_step(torch::optim::Optimizer& optimizer) {
  std::vector<torch::Tensor> out;
  for (const auto& group : optimizer.param_groups())
    for (const auto& p : group.params()) out.push_back(p);
  bool counts_steps = false;
  for (const auto& [key, state] : optimizer.state()) {
    (void)key;
    if (state && !state_tensors(*state, out, counts_steps))
      throw RuntimeFailure("this optimizer's state is of a kind whose step cannot be undone on the device");
  }
  const CapturableOptimizer* capturable = as_capturable(optimizer);
  if (counts_steps && !(capturable && capturable->capturable()))
    throw RuntimeFailure("this optimizer counts its steps on the host, where a step skipped on the device would "
                         "still count; make it capturable first");
  if (capturable)
    for (const auto& counts : capturable->device_counters()) out.push_back(counts);
  return out;
}

}  // namespace torchsweep
