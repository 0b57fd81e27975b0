// When a run stops, evaluates, checkpoints and moves its learning rate, decided once
// from the resolved config and the data set's batches per epoch. The trainer asks it;
// `validate` prints it.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/cadence.h"
#include "optim/schedules.h"

namespace torchsweep {

struct TrainingPlan {
  int64_t steps_per_epoch = 1;
  int64_t total_steps = 0;
  /// Epochs the run spans; under a step budget the last one may be partial.
  int64_t epochs = 0;
  /// Whether the budget counts epochs (else steps).
  bool by_epochs = false;
  Cadence eval = Cadence::end();
  Cadence checkpoint = Cadence::end();

  /// Whether the run writes a row on the epoch axis at each epoch's end
  /// (train/loss_epoch, train/acc, lr, and the evaluations made there).
  bool epoch_rows() const { return by_epochs || eval.unit == Cadence::Unit::Epochs; }

  /// Whether to evaluate, or checkpoint, after `steps_done` optimizer steps; `epoch_end`
  /// tells that those steps completed epoch `epoch`. The run's last step always counts.
  bool evaluates(int64_t steps_done, int64_t epoch, bool epoch_end) const;
  bool checkpoints(int64_t steps_done, int64_t epoch, bool epoch_end) const;
  /// Whether evaluations land on the epoch axis (the row of the epoch they end) rather
  /// than the step axis (the number of steps done).
  bool evaluates_on_epochs() const { return epoch_rows() && eval.unit != Cadence::Unit::Steps; }

  /// What a learning-rate schedule is told about the run.
  ScheduleContext schedule_context() const { return {steps_per_epoch, total_steps, std::max<int64_t>(epochs, 1)}; }

  /// How many evaluations and checkpoints a whole run makes.
  int64_t evaluation_count() const;
  int64_t checkpoint_count() const;
};

/// The plan of a resolved config (a config recorded before eval_every and
/// checkpoint_every existed gets their defaults).
TrainingPlan plan_training(const nlohmann::json& config, int64_t steps_per_epoch);

/// Batches per epoch of a resolved `data` section (building the data set once per
/// distinct section in a process; the files are read once anyway).
int64_t batches_per_epoch(const nlohmann::json& data);

/// The plan in words, one line each (budget, evaluation, checkpoints, and where the
/// learning-rate schedule moves), as `validate` prints it. Builds the data set to count
/// its batches.
std::vector<std::string> describe_training(const nlohmann::json& config);

}  // namespace torchsweep
