// The commands about specs and models, before anything runs: validate (a spec's runs
// and training plans), models (the registries), summary (a model's layers).
#pragma once

#include <CLI/CLI.hpp>

#include <ostream>

#include "cli/command.h"
#include "sweep/sweep.h"

namespace torchsweep {

void add_spec_commands(CLI::App& app, CliContext& context, Commands& commands);

/// The runs of a sweep (index, config hash, swept values) and each distinct training
/// plan: what `validate` and `run --dry-run` print.
void print_plan(const SweepPlan& plan, std::ostream& out);

}  // namespace torchsweep
