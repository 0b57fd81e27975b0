#include "runner/epoch_meter.h"

#include <cmath>

namespace torchsweep {

EpochMeter::EpochMeter(const torch::Device& device, bool classification, MeterReads reads)
    : device_(device),
      classification_(classification),
      deferred_(reads == MeterReads::Deferred || (reads == MeterReads::Auto && device.is_cuda())) {}

void EpochMeter::reset(const EpochTotals& start) {
  totals_ = start;
  non_finite_.reset();
  last_loss_ = 0.0;
  samples_added_ = start.samples;
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
  const int64_t n = outputs.size(0);
  samples_added_ += n;
  if (!deferred_) {
    const int64_t correct = classification_ ? outputs.argmax(1).eq(targets).sum().item<int64_t>() : 0;
    fold(step, loss.item<double>(), correct, n);
    return;
  }
  const auto pending = static_cast<int64_t>(pending_steps_.size());
  if (!pending_values_.defined() || pending == pending_values_.size(0)) {
    // Grows geometrically; between two reads it holds at most log_every batches.
    auto grown = torch::zeros({std::max<int64_t>(64, 2 * pending), 2},
                              torch::TensorOptions().dtype(torch::kFloat64).device(loss.device()));
    if (pending > 0) grown.narrow(0, 0, pending).copy_(pending_values_.narrow(0, 0, pending));
    pending_values_ = grown;
  }
  torch::NoGradGuard no_grad;
  auto row = pending_values_.select(0, pending);
  row.select(0, 0).copy_(loss.detach().reshape({}));
  if (classification_) row.select(0, 1).copy_(outputs.detach().argmax(1).eq(targets).sum());
  pending_steps_.push_back(step);
  pending_samples_.push_back(n);
}

const EpochTotals& EpochMeter::read() {
  if (pending_steps_.empty()) return totals_;
  const auto pending = static_cast<int64_t>(pending_steps_.size());
  const torch::Tensor values = pending_values_.narrow(0, 0, pending).to(torch::kCPU).contiguous();
  const double* v = values.data_ptr<double>();
  for (int64_t i = 0; i < pending; ++i)
    fold(pending_steps_[static_cast<size_t>(i)], v[2 * i], static_cast<int64_t>(v[2 * i + 1]),
         pending_samples_[static_cast<size_t>(i)]);
  pending_steps_.clear();
  pending_samples_.clear();
  return totals_;
}

}  // namespace torchsweep
