#include "results/lane_key.h"

#include <algorithm>
#include <map>

namespace torchsweep {

std::string lane_group_key(const nlohmann::json& config) {
  const auto at = [&](const nlohmann::json& object, const char* key) {
    return object.is_object() && object.contains(key) ? object.at(key) : nlohmann::json();
  };
  const nlohmann::json train = at(config, "train");
  // nlohmann's objects keep their keys sorted, so equal settings dump to equal text.
  return nlohmann::json{{"device", at(config, "device")},
                        {"threads", at(train, "threads")},
                        {"deterministic", at(train, "deterministic")},
                        {"data", at(config, "data")}}
      .dump();
}

std::vector<std::vector<size_t>> group_by_lane_key(const std::vector<nlohmann::json>& configs, size_t max_lanes) {
  const size_t most = max_lanes == 0 ? kMaxLanes : std::min(max_lanes, kMaxLanes);
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> open;  // key → its group still taking runs
  for (size_t i = 0; i < configs.size(); ++i) {
    const std::string key = lane_group_key(configs[i]);
    auto it = open.find(key);
    if (it == open.end() || groups[it->second].size() >= most) {
      groups.push_back({});
      it = open.insert_or_assign(key, groups.size() - 1).first;
    }
    groups[it->second].push_back(i);
  }
  return groups;
}

}  // namespace torchsweep
