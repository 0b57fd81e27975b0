#include "cli/status_command.h"

#include <memory>
#include <string>

#include "launch/status.h"
#include "results/store.h"

namespace torchsweep {

void add_status_command(CLI::App& app, CliContext& context, Commands& commands) {
  auto sweep = std::make_shared<std::string>();
  auto* status = app.add_subcommand("status", "a sweep's progress: runs by status, runs in progress, Slurm jobs");
  status->add_option("sweep", *sweep, "latest (default), all, a sweep id or a name");
  add_db_option(status, context);
  commands.add(status, [sweep, &context] {
    print_from_database(context.db_path, context.out,
                        [&](Database& db, std::ostream& out) { print_status(db, *sweep, out); });
    return 0;
  });
}

}  // namespace torchsweep
