// The `torchsweep` program users run. Loading LibTorch costs most of a second before
// anything happens (hundreds of shared libraries and their static initialisers), so
// this program links no tensor code: it answers --help, --version, `status` and every
// `results` query itself, and hands the commands that need LibTorch (cli/command_table.h) to
// `torchsweep-train`, the full program installed beside it, by exec with the same
// arguments — one command for the user either way.
#pragma once

#include <iosfwd>
#include <string>

namespace torchsweep {

/// The full program's file name, beside this one.
constexpr const char* kFullProgram = "torchsweep-train";

/// Runs the command line: a command that needs LibTorch replaces this process with the
/// full program (returning only when that cannot start: exit 1); any other is run here.
int run_front(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace torchsweep
