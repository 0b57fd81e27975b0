// The environment a run executed in, recorded with it for reproduction.
#pragma once

#include <string>

namespace torchsweep {

struct Environment {
  std::string host;
  std::string torchsweep_version;
  std::string torch_version;
  std::string git_commit;  ///< of the working directory; empty when it is not a git checkout
  std::string command_line;
};

/// Reads the environment of this process (git once; cheap afterwards).
Environment current_environment(const std::string& command_line);

}  // namespace torchsweep
