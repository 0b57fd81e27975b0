#include "train/trainer.h"

#include "device/devices.h"
#include "device/lane_stream.h"
#include "train/lane_generators.h"
#include "train/run_lane.h"

namespace torchsweep {

TrainOutcome train_run(const nlohmann::json& config, MetricSink& sink, const TrainOptions& options) {
  RunLane lane(config, sink, options);
  lane.start(RunLane::Clock::now());
  while (!lane.ended()) lane.advance();
  return lane.outcome();
}

namespace {

/// The device the group's runs train on (they share it), or the CPU when it names one
/// this machine lacks: each lane then fails in start(), saying so.
torch::Device group_device(const std::vector<LaneSpec>& lanes) {
  try {
    return resolve_device(lanes.front().config.at("device").get<std::string>());
  } catch (const std::exception&) {
    return torch::kCPU;
  }
}

}  // namespace

std::vector<TrainOutcome> train_group(const std::vector<LaneSpec>& specs, const TrainOptions& options) {
  if (specs.size() == 1) {
    TrainOptions alone = options;
    alone.checkpoint_dir = specs.front().checkpoint_dir;
    return {train_run(specs.front().config, *specs.front().sink, alone)};
  }
  const auto started = RunLane::Clock::now();
  const torch::Device device = group_device(specs);
  std::vector<std::unique_ptr<RunLane>> lanes;
  std::vector<std::unique_ptr<LaneStream>> streams;
  // Each lane's start seeds the default generator as its run alone does (or restores its
  // checkpoint's state); the state it leaves is the lane's own from then on.
  LaneGenerators generators(device);
  for (const auto& spec : specs) {
    TrainOptions own = options;
    own.checkpoint_dir = spec.checkpoint_dir;
    lanes.push_back(std::make_unique<RunLane>(spec.config, *spec.sink, own));
    streams.push_back(std::make_unique<LaneStream>(device));
    streams.back()->run([&] { lanes.back()->start(started); });
    generators.add_lane_from_default();
  }
  // One step of each lane in turn. On a GPU each lane queues its step on its own stream
  // and the host moves on to the next lane without waiting, so the steps overlap there.
  for (bool any = true; any;) {
    any = false;
    for (size_t k = 0; k < lanes.size(); ++k) {
      if (lanes[k]->ended()) continue;
      streams[k]->run([&] { generators.in_lane(static_cast<int64_t>(k), [&] { lanes[k]->advance(); }); });
      any = any || !lanes[k]->ended();
    }
  }
  std::vector<TrainOutcome> outcomes;
  for (const auto& lane : lanes) outcomes.push_back(lane->outcome());
  return outcomes;
}

}  // namespace torchsweep
