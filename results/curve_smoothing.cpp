#include "results/curve_smoothing.h"

#include <cmath>

namespace torchsweep {

std::vector<double> debiased_ema(const std::vector<double>& values, double weight) {
  if (weight <= 0) return values;
  std::vector<double> out;
  out.reserve(values.size());
  double average = 0;
  double kept = 1;  // w^k for the k finite values averaged so far
  for (const double v : values) {
    if (!std::isfinite(v)) {
      out.push_back(v);
      continue;
    }
    average = weight * average + (1 - weight) * v;
    kept *= weight;
    out.push_back(average / (1 - kept));
  }
  return out;
}

}  // namespace torchsweep
