// Shell completion: `torchsweep completion bash|zsh` prints a script that completes
// torchsweep's commands and their flags, generated from the command table itself (so it
// cannot fall behind it). Words that are no command or flag complete as file names
// (specs, databases).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace torchsweep {

/// The completion script for `shell` ("bash" or "zsh"); InputError for another shell.
std::string completion_script(const CLI::App& app, const std::string& shell);

}  // namespace torchsweep
