// `torchsweep status [SWEEP]`: a sweep's progress from the database (and Slurm's queue).
// It needs no tensors, so the front program answers it itself (cli/front.h).
#pragma once

#include "cli/command.h"

namespace torchsweep {

void add_status_command(CLI::App& app, CliContext& context, Commands& commands);

}  // namespace torchsweep
