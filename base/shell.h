// Running another program through the shell and quoting words for it: sbatch and
// squeue for the Slurm launcher, and commands printed for the user to paste.
#pragma once

#include <string>
#include <vector>

namespace torchsweep {

/// The output of a command (stdout and stderr) and its exit status (-1 when it could
/// not run or did not exit).
struct CommandResult {
  int status = -1;
  std::string output;
};

/// Runs argv (each word quoted) through /bin/sh and collects its output.
CommandResult run_command(const std::vector<std::string>& argv);

/// Quotes one word for a POSIX shell (words of safe characters stay as they are).
std::string shell_quote(const std::string& word);

}  // namespace torchsweep
