#include "sweep/lane_groups.h"

#include <algorithm>

namespace torchsweep {

bool groups_under(const std::string& setting, const nlohmann::json& /*config*/) {
  // `auto` would group only where grouping changes no number and saves time, and that is
  // nowhere yet. On the CPU the lanes of a group run one after another in one process,
  // each with the machine's threads, so a group takes as long as its runs one by one.
  // On a GPU lanes could overlap, but grouping waits until lanes there are verified to
  // record their runs alone's numbers bit for bit on CUDA.
  return setting == "on";
}

std::vector<std::vector<size_t>> lane_groups(const std::vector<nlohmann::json>& configs, const std::string& setting,
                                             size_t max_lanes) {
  std::vector<size_t> grouping;  // positions of the runs that group, in run order
  std::vector<nlohmann::json> grouping_configs;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < configs.size(); ++i) {
    if (groups_under(setting, configs[i])) {
      grouping.push_back(i);
      grouping_configs.push_back(configs[i]);
    } else {
      groups.push_back({i});
    }
  }
  for (const auto& by_key : group_by_lane_key(grouping_configs, max_lanes)) {
    std::vector<size_t> group;
    for (const size_t k : by_key) group.push_back(grouping[k]);
    groups.push_back(std::move(group));
  }
  // In run order: by each group's first run.
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
  return groups;
}

std::string why_alone(int64_t group_runs, size_t max_lanes) {
  if (group_runs <= 1)
    return "no other run of the sweep shares its device, train.threads, train.deterministic and data";
  if (max_lanes == 1) return "this worker takes one run at a time (--max-lanes 1)";
  return "the other runs of its lane group are done or taken by other workers";
}

}  // namespace torchsweep
