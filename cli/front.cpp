#include "cli/front.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <ostream>
#include <vector>

#include "base/paths.h"
#include "cli/app.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "cli/command_table.h"
#include "cli/results_commands.h"
#include "cli/serve_http.h"
#include "cli/status_command.h"
#include "results/store.h"

namespace torchsweep {

namespace {

/// Replaces this process with the full program, argv unchanged (argv[0] too, so that
/// the command recorded with each run reads as the user typed it).
int hand_over(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  const std::string self = executable_path();
  const std::string full = join_path(self.substr(0, self.rfind('/')), kFullProgram);
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) args.push_back(const_cast<char*>(argv[i]));
  args.push_back(nullptr);
  out.flush();
  err.flush();
  std::cout.flush();
  ::execv(full.c_str(), args.data());
  err << "torchsweep: cannot start " << full << " (the program for '" << argv[1] << "'): " << std::strerror(errno)
      << "\n";
  return kExitFailure;
}

}  // namespace

int run_front(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (argc >= 2)
    for (const auto& entry : torch_commands())
      if (std::strcmp(argv[1], entry.name) == 0) return hand_over(argc, argv, out, err);
  auto app = make_app();
  CliContext context{out, err, argc, argv, default_db_path()};
  Commands commands;
  // The full program's commands are listed (for --help and "did you mean") but never
  // parsed here: their words are handed over above.
  for (const auto& entry : torch_commands()) {
    if (std::strcmp(entry.name, "submit") == 0) add_status_command(*app, context, commands);
    if (std::strcmp(entry.name, "completion") == 0) {
      add_results_commands(*app, context, commands);
      // Only this program serves: the server needs no tensors and the full program no server.
      add_serve_command(*app->get_subcommand("results"), context, commands);
    }
    app->add_subcommand(entry.name, entry.description);
  }
  return parse_and_run(*app, commands, context);
}

}  // namespace torchsweep
