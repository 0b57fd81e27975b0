#include "optim/adam_update.h"

#include <cmath>

namespace torchsweep {

void adam_update(AdamGroupTensors& t, const AdamNumbers& n, DeviceScalars* device, size_t g) {
  // exp_avg = beta1 * exp_avg + (1 - beta1) * grad; exp_avg_sq likewise with grad².
  at::_foreach_mul_(t.exp_avgs, n.beta1);
  at::_foreach_add_(t.exp_avgs, t.grads, 1 - n.beta1);
  at::_foreach_mul_(t.exp_avg_sqs, n.beta2);
  at::_foreach_addcmul_(t.exp_avg_sqs, t.grads, t.grads, 1 - n.beta2);
  if (n.amsgrad) at::_foreach_maximum_(t.max_exp_avg_sqs, t.exp_avg_sqs);
  // denom = sqrt(v) / sqrt(bias_correction2) + eps
  auto denoms = at::_foreach_sqrt(n.amsgrad ? t.max_exp_avg_sqs : t.exp_avg_sqs);

  if (!device) {
    // p += -(lr / bias_correction1) * exp_avg / denom, with LibTorch's doubles.
    std::vector<c10::Scalar> bias2_roots, neg_step_sizes;
    for (const int64_t step : t.steps) {
      const double bias_correction1 = 1 - std::pow(n.beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(n.beta2, static_cast<double>(step));
      bias2_roots.emplace_back(std::sqrt(bias_correction2));
      neg_step_sizes.emplace_back(-(n.lr / bias_correction1));
    }
    at::_foreach_div_(denoms, bias2_roots);
    at::_foreach_add_(denoms, n.eps);
    at::_foreach_addcdiv_(t.params, t.exp_avgs, denoms, neg_step_sizes);
    return;
  }

  // The same numbers from the device's step counts and rate, for every parameter of the
  // group at once (a handful of kernels on a vector), then picked per tensor.
  const auto steps = device->advance(g, t.indices);
  const auto bias_correction1 = torch::pow(n.beta1, steps).neg_().add_(1);
  const auto bias2_roots = torch::pow(n.beta2, steps).neg_().add_(1).sqrt_();
  const auto neg_step_sizes = (device->lr(g) / bias_correction1).neg_();
  at::_foreach_div_(denoms, DeviceScalars::pick(bias2_roots, t.indices));
  at::_foreach_add_(denoms, n.eps);
  // addcdiv computes p + (value * exp_avg) / denom: the product first, rounded to the
  // parameters' dtype, then the quotient, as here.
  const auto scaled = at::_foreach_mul(t.exp_avgs, DeviceScalars::pick(neg_step_sizes, t.indices));
  at::_foreach_addcdiv_(t.params, scaled, denoms);
}

}  // namespace torchsweep
