#include "cli/command_table.h"

#include <stdexcept>

namespace torchsweep {

const std::vector<CommandEntry>& torch_commands() {
  static const std::vector<CommandEntry> commands = {
      {"run", "expand a spec into runs, train each, record them in the database"},
      {"worker",
       "take waiting runs from a database and train them until none is left (used by run --workers and Slurm tasks)"},
      {"rerun", "re-execute a recorded run from its stored config, as a new run"},
      {"submit", "submit a sweep to a cluster as a job array (one run per task)"},
      {"lr-find",
       "a learning-rate range test on a spec's run: loss against an exponentially growing rate, suggested rates"},
      {"validate", "parse and validate a spec, list its runs; runs nothing"},
      {"models", "list the registered models, data sets, losses and optimizers"},
      {"summary", "a model's layers, output shapes and parameter counts"},
      {"completion", "print a shell completion script: eval \"$(torchsweep completion bash)\""},
  };
  return commands;
}

const char* describe_command(const std::string& name) {
  for (const auto& entry : torch_commands())
    if (name == entry.name) return entry.description;
  throw std::out_of_range("no torch command named " + name);
}

}  // namespace torchsweep
