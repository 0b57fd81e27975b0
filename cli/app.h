// What both torchsweep programs do with a command line once their commands are
// registered: parse it, answer --help and --version, name the closest command to a
// mistyped one, run the parsed command's action and map errors to the exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

#include "cli/command.h"

namespace torchsweep {

/// The top-level application: its description, one sub-command required, --version.
std::unique_ptr<CLI::App> make_app();

/// Parses argv with `app` and runs the parsed command's action; the exit code (cli.h).
int parse_and_run(CLI::App& app, const Commands& commands, CliContext& context);

}  // namespace torchsweep
