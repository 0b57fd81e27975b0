// The sweeps of a database seen together: one row per sweep, its runs counted by status.
#pragma once

#include <string>

#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// One row per sweep, oldest first: its id, name, mode, launcher, when it was created,
/// its runs in all and by status (one column per status), the seconds its runs trained,
/// the spec it came from and the overrides it was run with (so that two sweeps of one
/// spec can be told apart).
Table list_sweeps(Database& db);

/// A sweep's recorded overrides (sweeps.overrides, a JSON array of strings) as one line
/// of command-line words: `optimizer.momentum=0.9 'sweep={mode: random}'`; "" for none.
std::string overrides_text(const std::string& overrides_json);

}  // namespace torchsweep
