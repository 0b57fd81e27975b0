// K runs trained as one model (models/fused_model.h, optim/fused_sgd.h): runs of a
// sweep whose configs differ only in SGD's settings and the seed. Each lane keeps its
// own data order (its seed's), its own metrics, evaluations, checkpoints and outcome,
// reported to its own sink exactly as train_run would report them: a lane that
// diverges ends as diverged while the others go on, and a lane's checkpoint is an
// ordinary checkpoint of its run, which train_run continues.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "models/fused_model.h"  // LaneForm
#include "results/metric_sink.h"
#include "train/trainer.h"

namespace torchsweep {

/// At most this many runs train as one fused model: each lane holds its own copy of
/// its data set's order and its own replica, so memory grows with the lanes.
constexpr size_t kMaxFusedLanes = 16;

/// Whether fused lanes of runs with this config record their runs alone's numbers bit
/// for bit: the config has a fusion_key and its device is not CUDA, where the lanes run
/// their own operations with their own generators (on a GPU they run grouped: the same
/// numbers to rounding only, dropout masks drawn for all lanes at once). A device this
/// machine lacks counts as CUDA (the run then fails alone, saying so).
bool fused_lanes_exact(const nlohmann::json& config);

/// Whether a run with this config trains fused with others under `sweep.fuse` =
/// `setting`: "off" never; "on" wherever it has a fusion_key; "auto" only where the
/// lanes are exact (fused_lanes_exact: a run's numbers never depend on how it was
/// scheduled) and fusing saves time — nowhere yet: exact CPU lanes run at 0.85-0.91x the
/// runs one by one (bench/README.md), and GPU lanes are not exact. Workers and Slurm's
/// grouping both decide by this.
bool fuses(const std::string& setting, const nlohmann::json& config);

/// The fusion_key a run with this config fuses under with `setting` (fuses()), or ""
/// when it trains alone: runs with one non-empty key train together.
std::string fusion_key_under(const std::string& setting, const nlohmann::json& config);

/// Groups of run positions that train together, in run order: runs that fuse under
/// `setting` with one fusion_key, at most kMaxFusedLanes per group; every other run
/// alone.
std::vector<std::vector<size_t>> fusion_groups(const std::vector<nlohmann::json>& configs, const std::string& setting);

struct FusedLane {
  nlohmann::json config;
  MetricSink* sink = nullptr;
  std::string checkpoint_dir;  ///< "" for none
};

/// What runs with this config may share with others: the config without the keys a
/// fused lane may differ in (seed, and SGD's lr, momentum, dampening, weight decay).
/// "" when the config cannot be fused at all (another optimizer, a model without a
/// fused form).
std::string fusion_key(const nlohmann::json& config);

/// Why a run with this config never fuses with others ("" when it may): its optimizer
/// is not SGD, or its model has no fused form (fusion_obstacle). fusion_key is "" then.
std::string why_trained_alone(const nlohmann::json& config);

/// Trains the lanes (configs with one fusion_key) to their ends; one outcome per lane,
/// in order. Fresh runs only (no resume). `options.checkpoint_dir` and `resume` are
/// ignored: each lane has its own folder. `form`: the lanes' form (fuse_models; Auto:
/// exact on the CPU, grouped on a GPU); tests ask for the grouped form on the CPU.
std::vector<TrainOutcome> train_fused(const std::vector<FusedLane>& lanes, const TrainOptions& options = {},
                                      LaneForm form = LaneForm::Auto);

}  // namespace torchsweep
