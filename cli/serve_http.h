// `torchsweep results serve`: the dashboard's HTTP server over a results database,
// read-only (cpp-httplib). Only the `torchsweep` program has it; the checks of each
// request are cli/serve_guard, the API's JSON cli/serve_api, the page cli/web/.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace torchsweep {

/// Adds `serve` to the `results` command.
void add_serve_command(CLI::App& results, CliContext& context, Commands& commands);

}  // namespace torchsweep
