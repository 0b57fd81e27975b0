#include "cli/command.h"

#include <unistd.h>

#include <iostream>
#include <sstream>

#include "base/error.h"
#include "base/interrupt.h"
#include "cli/cli.h"
#include "results/store.h"

namespace torchsweep {

const std::function<int()>* Commands::parsed() const {
  // Nested commands (results list) come after their parent in the table: the last
  // parsed one is the innermost.
  const std::function<int()>* found = nullptr;
  for (const auto& [command, action] : actions_)
    if (command->parsed()) found = &action;
  return found;
}

CLI::Option* add_db_option(CLI::App* command, CliContext& context) {
  return command->add_option("--db", context.db_path, "results database (default $TORCHSWEEP_DB, else torchsweep.db)");
}

void add_overrides_argument(CLI::App* command, std::vector<std::string>& overrides) {
  command->add_option("overrides", overrides,
                      "key=value, key=a,b,c (a sweep), key=[a,b], key=range(1,5), key=interval(lo,hi), +key=value, "
                      "~key (docs/spec.md)");
  command->add_flag("-m,--multirun", "accepted for Hydra users and ignored: every run here is a multirun");
}

void print_from_database(const std::string& path, std::ostream& out,
                         const std::function<void(Database& db, std::ostream& out)>& query) {
  std::string text;
  Store::read(path, [&](Store& store) {
    std::ostringstream buffer;
    query(store.db(), buffer);
    text = buffer.str();
  });
  out << text;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<int64_t> parse_integers(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  for (const auto& item : split_list(text)) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError(flag + ": expected comma-separated integers, got \"" + item + "\"");
    }
  }
  return out;
}

std::string command_line(const CliContext& context) {
  std::string out;
  for (int i = 0; i < context.argc; ++i) out += (i ? " " : "") + std::string(context.argv[i]);
  return out;
}

bool is_terminal(const std::ostream& out) { return &out == &std::cout && ::isatty(STDOUT_FILENO); }

int sweep_exit_code(int stop_signal, int failed) {
  if (stop_signal) return exit_code_for_signal(stop_signal);
  return failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace torchsweep
