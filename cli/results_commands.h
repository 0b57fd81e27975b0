// The commands that read the results database: results list, sweeps, rungs, show,
// compare, curves, export, sql, plot, and merge (shards into one database).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace torchsweep {

void add_results_commands(CLI::App& app, CliContext& context, Commands& commands);

}  // namespace torchsweep
