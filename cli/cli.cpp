#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <ostream>
#include <string>

#include "cli/app.h"
#include "cli/command.h"
#include "cli/command_table.h"
#include "cli/completion.h"
#include "cli/launch_commands.h"
#include "cli/results_commands.h"
#include "cli/spec_commands.h"
#include "cli/status_command.h"
#include "results/store.h"

namespace torchsweep {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  auto app = make_app();
  CliContext context{out, err, argc, argv, default_db_path()};
  Commands commands;
  add_launch_commands(*app, context, commands);
  add_status_command(*app, context, commands);
  add_spec_commands(*app, context, commands);
  add_results_commands(*app, context, commands);
  std::string shell;
  auto* completion = app->add_subcommand("completion", describe_command("completion"));
  completion->add_option("shell", shell, "bash or zsh")->required();
  commands.add(completion, [&] {
    out << completion_script(*app, shell);
    return kExitOk;
  });
  return parse_and_run(*app, commands, context);
}

}  // namespace torchsweep
