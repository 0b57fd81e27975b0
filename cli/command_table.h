// The commands that need LibTorch (they load specs, build models or train), by name
// with their one-line help. The `torchsweep` front program answers `--help` and the
// queries itself and hands these to `torchsweep-train` (cli/front.h); the full program
// registers them with the same words, so both list them alike.
#pragma once

#include <string>
#include <vector>

namespace torchsweep {

struct CommandEntry {
  const char* name;
  const char* description;
};

/// run, worker, rerun, submit, lr-find, validate, models, summary, completion.
const std::vector<CommandEntry>& torch_commands();

/// The description of one of them; std::out_of_range for another name.
const char* describe_command(const std::string& name);

}  // namespace torchsweep
