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
    auto store = Store::open_read_only(context.db_path);
    print_status(store->db(), *sweep, context.out);
    return 0;
  });
}

}  // namespace torchsweep
