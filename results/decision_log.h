// The decisions of an adaptive sweep, one row of `decisions` each: a run stopped by
// the sweep's rule, a run promoted past a rung, a run proposed by a search. Each is
// written in the transaction that carries out what it decided (the run's new status,
// the new run), so that the log and the runs never disagree, and is numbered in the
// order taken (seq), so that a sweep's decisions can be read back, compared and replayed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

struct Decision {
  int64_t sweep_id = 0;
  int64_t seq = 0;              ///< set by record_decision: the sweep's decisions from 1
  int64_t run_id = 0;           ///< the run decided about
  std::string action;           ///< stop | promote | continue | propose
  std::string rule;             ///< asha, hyperband, median, patience, wandb_hyperband, tpe, bayes
  std::string metric;           ///< the metric judged ("" for none)
  std::string axis;             ///< step | epoch ("" for none)
  std::optional<int64_t> at;    ///< where on the axis it was decided
  std::optional<int64_t> rung;  ///< the rung level (asha, hyperband)
  double value = std::numeric_limits<double>::quiet_NaN();      ///< the run's value judged (NaN: none)
  double threshold = std::numeric_limits<double>::quiet_NaN();  ///< what it was held against (NaN: none)
  nlohmann::json seen = nlohmann::json::object();  ///< the rung or histories it saw, the point it proposed
  std::optional<int64_t> seed;  ///< the seed of a proposal's draws
  std::string note;             ///< the decision in words, as runs.error shows a stop
  std::string decided_at;       ///< set by record_decision (UTC, ISO 8601)
};

/// Appends `decision` as its sweep's next one, inside the caller's write transaction
/// (so that it lands with what it decided). Returns its seq.
int64_t record_decision(Database& db, Decision decision);

/// A sweep's decisions in the order taken; `run_id` > 0: only those about that run.
std::vector<Decision> read_decisions(Database& db, int64_t sweep_id, int64_t run_id = 0);

}  // namespace torchsweep
