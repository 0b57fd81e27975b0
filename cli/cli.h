// The torchsweep command line, as a library function so tests can call it.
#pragma once

#include <iosfwd>

namespace torchsweep {

/// Exit codes (a contract: scripts rely on them).
enum ExitCode : int {
  kExitOk = 0,        ///< every run ended finished or diverged; a query succeeded
  kExitFailure = 1,   ///< a run failed, or the program failed at run time
  kExitBadInput = 2,  ///< bad spec, override, flag or missing file: nothing run, nothing written
};

/// Parses argv and runs the command; writes results to `out` and messages to `err`.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace torchsweep
