// What a run recorded, for tests that compare two runs bit for bit.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "results/metric_sink.h"

namespace torchsweep::testing {

/// Every point a run logged, with its value's exact bits, in logging order.
inline std::vector<std::string> exact_points(const MemorySink& sink) {
  std::vector<std::string> out;
  for (const auto& p : sink.points) {
    char bits[32];
    std::snprintf(bits, sizeof bits, "%a", p.value);
    out.push_back(p.key + "@" + std::to_string(p.step) + "=" + bits);
  }
  return out;
}

}  // namespace torchsweep::testing
