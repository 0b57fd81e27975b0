// The sweeps of a database seen together: one row per sweep, its runs counted by status.
#pragma once

#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// One row per sweep, oldest first: its id, name, mode, launcher, when it was created,
/// its runs in all and by status (one column per status), the seconds its runs trained,
/// and the spec it came from.
Table list_sweeps(Database& db);

}  // namespace torchsweep
