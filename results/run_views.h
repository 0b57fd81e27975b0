// One run seen whole: its record, parameters and summaries (show), every metric as one
// table on both axes (export); and read-only SQL over the store.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "results/sqlite.h"
#include "results/table.h"

namespace torchsweep {

/// One run: its record, its parameters and its metric summaries; for a run of an
/// adaptive sweep, also its decisions and its rungs (sections present only when it has any).
std::vector<std::pair<std::string, Table>> show_run(Database& db, int64_t run_id);

/// Every metric of one run, columns in the order they were first logged: one row per
/// logged step, and one per epoch row placed after the step that ended its epoch
/// (`step` is the optimizer steps done there, `epoch` the epoch's number).
Table export_run(Database& db, int64_t run_id);

}  // namespace torchsweep
