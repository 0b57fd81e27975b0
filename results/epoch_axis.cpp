#include "results/epoch_axis.h"

#include <algorithm>

namespace torchsweep {

std::vector<int64_t> epoch_ends(Database& db, int64_t run_id) {
  auto stmt = db.prepare(
      "SELECT value FROM metrics WHERE run_id = ? AND key = 'train/steps' AND value IS NOT NULL ORDER BY step");
  stmt.bind(1, run_id);
  std::vector<int64_t> ends;
  while (stmt.step()) ends.push_back(static_cast<int64_t>(stmt.get_double(0)));
  return ends;
}

double epoch_of_step(const std::vector<int64_t>& ends, int64_t step) {
  // The first epoch whose end is at or after the step (the last epoch past them all).
  const auto it = std::lower_bound(ends.begin(), ends.end(), step);
  const size_t e = it == ends.end() ? ends.size() - 1 : static_cast<size_t>(it - ends.begin());
  const int64_t start = e == 0 ? 0 : ends[e - 1];
  const int64_t length = ends[e] - start;
  if (length <= 0) return static_cast<double>(e + 1);
  return static_cast<double>(e) + static_cast<double>(step - start) / static_cast<double>(length);
}

}  // namespace torchsweep
