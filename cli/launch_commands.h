// The commands that train: run (a spec's sweep, in this process or N workers), worker
// (the loop behind workers and Slurm tasks), rerun, submit (a Slurm job array), and
// status (a sweep's progress).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace torchsweep {

void add_launch_commands(CLI::App& app, CliContext& context, Commands& commands);

}  // namespace torchsweep
