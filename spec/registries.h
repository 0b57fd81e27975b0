// All registries in one place, with the built-in entries registered by an
// explicit call (static initialisers in a static library can be dropped by the linker).
#pragma once

#include "data/datasets.h"
#include "models/model.h"
#include "optim/losses.h"
#include "optim/optimizers.h"
#include "optim/schedules.h"

namespace torchsweep {

struct Registries {
  ModelRegistry models{"model"};
  DatasetRegistry datasets{"dataset"};
  LossRegistry losses{"loss"};
  OptimizerRegistry optimizers{"optimizer"};
  ScheduleRegistry schedules{"scheduler"};
};

/// The process-wide registries, built-ins registered on first use.
Registries& registries();

/// Registers a user's model: the one line a custom model needs.
void register_model(std::string name, std::string description, std::vector<Field> options, ModelFactory factory);

}  // namespace torchsweep
