#include "results/curve_envelope.h"

#include <algorithm>
#include <cmath>

namespace torchsweep {

std::vector<size_t> envelope_indices(const std::vector<double>& values, size_t buckets) {
  const size_t count = values.size();
  buckets = std::max<size_t>(buckets, 1);
  std::vector<size_t> kept;
  if (count <= 2 * buckets) {
    for (size_t i = 0; i < count; ++i) kept.push_back(i);
    return kept;
  }
  kept.push_back(0);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = b * count / buckets, end = (b + 1) * count / buckets;
    size_t low = end, high = end;
    for (size_t i = begin; i < end; ++i) {
      if (std::isnan(values[i])) continue;
      if (low == end || values[i] < values[low]) low = i;
      if (high == end || values[i] > values[high]) high = i;
    }
    if (low == end) {  // only NaNs: one of them keeps the gap
      kept.push_back(begin);
      continue;
    }
    kept.push_back(std::min(low, high));
    kept.push_back(std::max(low, high));
  }
  kept.push_back(count - 1);
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

std::vector<size_t> envelope_union(const std::vector<const std::vector<double>*>& series, size_t buckets) {
  std::vector<size_t> kept;
  for (const auto* values : series) {
    const auto some = envelope_indices(*values, buckets);
    kept.insert(kept.end(), some.begin(), some.end());
  }
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

}  // namespace torchsweep
