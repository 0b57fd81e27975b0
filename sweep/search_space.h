// The space a model-based search (sweep.mode: tpe | bayes) proposes points in: each
// swept key with the distribution it is drawn from, and a map of every distribution
// onto [0, 1] and back, so that a model sees all parameters on one scale:
//   - uniform: linearly, low → 0, high → 1;
//   - log_uniform: linearly in the logarithm (1e-5 .. 1 puts 1e-3 at 0.4);
//   - int_uniform: the span cut into equal cells, one per integer, a value at the
//     middle of its cell (from_unit rounds into the cell);
//   - choice: the same with one cell per listed value, in the order written.
// W&B's bayes maps its parameters by their CDF the same way (its categorical and
// int_uniform values sit at the right edge of their cell, ours at the middle: a shift
// that a stationary kernel does not see).
//
// Everything here is pure: no database, no tensors.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sweep/sampling.h"

namespace torchsweep {

/// One swept key and what its values are drawn from (a list is a choice).
struct SearchDimension {
  std::string key;  ///< dotted path, e.g. "optimizer.lr"
  Distribution distribution;
};

using SearchSpace = std::vector<SearchDimension>;

/// Where `value` lies in [0, 1]. Throws std::invalid_argument for a value the
/// distribution cannot give (not a number, or not one of a choice's values).
double to_unit(const Distribution& distribution, const nlohmann::json& value);

/// The value at `u` (clamped to [0, 1]): a float for uniform and log_uniform (within
/// [low, high]), an integer for int_uniform, one of the listed values for choice.
nlohmann::json from_unit(const Distribution& distribution, double u);

/// The space as recorded with the sweep:
/// [{"key": "optimizer.lr", "distribution": "log_uniform", "low": 1e-05, "high": 1.0},
///  {"key": "model.width", "distribution": "choice", "values": [16, 32]}, ...].
nlohmann::json search_space_to_json(const SearchSpace& space);

/// The space back from search_space_to_json; std::invalid_argument when it is not one.
SearchSpace search_space_from_json(const nlohmann::json& recorded);

/// One point drawn at random, as `sweep.mode: random` draws it: each key in order,
/// one draw of `sampler` each. {"optimizer.lr": 0.0123, ...}
nlohmann::json random_point(const SearchSpace& space, Sampler& sampler);

/// A finished run as a model-based search sees it.
struct Observation {
  Observation() = default;
  Observation(nlohmann::json point_, double objective_, std::optional<double> stopped_at_ = std::nullopt)
      : point(std::move(point_)), objective(objective_), stopped_at(stopped_at_) {}

  nlohmann::json point;  ///< {"optimizer.lr": 0.01, ...}: the run's swept values
  /// The value to minimise (the caller negates a metric to maximise). NaN is a failed
  /// run; ±infinity a run whose metric diverged. Each sampler treats these as the
  /// tool it follows does (see tpe_sampler.h and gp_sampler.h).
  double objective = 0.0;
  /// For a run an early-stopping rule stopped: the resource (step or epoch) it had
  /// reached, `objective` being its last reported value. TPE ranks such runs after
  /// every finished one, the further they went the better (Optuna's pruned trials);
  /// the GP takes `objective` as it is.
  std::optional<double> stopped_at;
};

/// The point in the unit cube, one coordinate per dimension in the space's order;
/// false when the point lacks a key or holds a value its distribution cannot give
/// (a run recorded before the space changed), and then `unit` is unspecified.
bool point_to_unit(const SearchSpace& space, const nlohmann::json& point, std::vector<double>& unit);

/// The point at `unit` (one coordinate per dimension).
nlohmann::json point_from_unit(const SearchSpace& space, const std::vector<double>& unit);

}  // namespace torchsweep
