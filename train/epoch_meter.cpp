#include "train/epoch_meter.h"

#include <cmath>

namespace torchsweep {

EpochMeter::EpochMeter(const torch::Device& device, bool classification, MeterReads reads)
    : device_(device),
      classification_(classification),
      deferred_(reads == MeterReads::Deferred || (reads == MeterReads::Auto && device.is_cuda())) {}

void EpochMeter::reset(const EpochTotals& start) {
  totals_ = start;
  non_finite_.reset();
  samples_added_ = start.samples;
  pending_losses_.clear();
  pending_correct_.clear();
  pending_steps_.clear();
  pending_samples_.clear();
}

void EpochMeter::fold(int64_t step, double loss, int64_t correct, int64_t samples) {
  if (!std::isfinite(loss)) {
    if (!non_finite_) non_finite_ = NonFiniteLoss{step, loss};
  } else if (!non_finite_) {
    last_loss_ = loss;
  }
  totals_.loss_sum += loss * static_cast<double>(samples);
  totals_.correct += correct;
  totals_.samples += samples;
}

void EpochMeter::add(int64_t step, const torch::Tensor& loss, const torch::Tensor& outputs,
                     const torch::Tensor& targets) {
  torch::NoGradGuard no_grad;
  if (!classification_) return add_counted(step, loss.detach(), torch::Tensor(), outputs.size(0));
  // No kernel for the loss and three for the count; nothing is copied until read().
  add_counted(step, loss.detach(), outputs.detach().argmax(1).eq(targets).sum(), outputs.size(0));
}

void EpochMeter::add_counted(int64_t step, const torch::Tensor& loss, const torch::Tensor& correct, int64_t samples) {
  samples_added_ += samples;
  if (!deferred_) {
    fold(step, loss.item<double>(), classification_ ? correct.item<int64_t>() : 0, samples);
    return;
  }
  pending_losses_.push_back(loss.reshape({}));
  if (classification_) pending_correct_.push_back(correct.reshape({}));
  pending_steps_.push_back(step);
  pending_samples_.push_back(samples);
}

const EpochTotals& EpochMeter::read() {
  if (pending_steps_.empty()) return totals_;
  // float64 holds a float32 or float64 loss exactly.
  const torch::Tensor losses = torch::stack(pending_losses_).to(torch::kCPU, torch::kFloat64).contiguous();
  const torch::Tensor correct =
      classification_ ? torch::stack(pending_correct_).to(torch::kCPU, torch::kInt64).contiguous() : torch::Tensor();
  const double* loss = losses.data_ptr<double>();
  for (size_t i = 0; i < pending_steps_.size(); ++i)
    fold(pending_steps_[i], loss[i], classification_ ? correct.data_ptr<int64_t>()[i] : 0, pending_samples_[i]);
  pending_losses_.clear();
  pending_correct_.clear();
  pending_steps_.clear();
  pending_samples_.clear();
  return totals_;
}

}  // namespace torchsweep
