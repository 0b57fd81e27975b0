#include "results/metric_summary.h"

#include <cmath>
#include <limits>

namespace torchsweep {

namespace {
constexpr double kNull = std::numeric_limits<double>::quiet_NaN();
}

MetricSummary::MetricSummary(int last_k) : last_k_(last_k), min_(kNull), max_(kNull) {
  recent_.reserve(static_cast<size_t>(last_k));
}

void MetricSummary::add(int64_t step, double value) {
  if (count_ > 0 && step <= last_step_) exact_ = false;
  if (!exact_) return;
  if (count_ == 0) first_ = value;
  ++count_;
  last_ = value;
  last_step_ = step;
  if (!std::isnan(value)) {
    // Ties keep the earliest step (`ORDER BY value, step`).
    if (!step_min_ || value < min_) {
      min_ = value;
      step_min_ = step;
    }
    if (!step_max_ || value > max_) {
      max_ = value;
      step_max_ = step;
    }
    if (!step_half_ && value <= 0.5 * first_) step_half_ = step;  // false while first is NaN
  }
  if (recent_.size() < static_cast<size_t>(last_k_)) {
    recent_.push_back(value);
  } else if (last_k_ > 0) {
    recent_[next_] = value;
  }
  if (last_k_ > 0) next_ = (next_ + 1) % static_cast<size_t>(last_k_);
}

double MetricSummary::mean_last_k() const {
  double sum = 0;
  int64_t n = 0;
  const size_t size = recent_.size();
  for (size_t i = 0; i < size; ++i) {
    const double v = recent_[(next_ + size - 1 - i) % size];  // newest first
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  return n == 0 ? kNull : sum / static_cast<double>(n);
}

}  // namespace torchsweep
