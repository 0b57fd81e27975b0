// What the command families share: the context a command runs in, the table of
// parsed sub-commands and their actions, the one `--db` option, and the small parsers
// of comma lists the flags use.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace torchsweep {

class Database;

/// Where a command writes, and the command line it was given (recorded with runs).
struct CliContext {
  std::ostream& out;
  std::ostream& err;
  int argc = 0;
  const char* const* argv = nullptr;
  /// `--db` of whichever command ran (default $TORCHSWEEP_DB, else torchsweep.db).
  std::string db_path;
};

/// Each sub-command's action, run after parsing when that sub-command was given; an
/// action returns the exit code (cli.h).
class Commands {
 public:
  void add(CLI::App* command, std::function<int()> action) { actions_.emplace_back(command, std::move(action)); }
  /// The action of the (innermost) sub-command that was parsed, or nullptr.
  const std::function<int()>* parsed() const;

 private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions_;
};

/// The results database option, the same on every command.
CLI::Option* add_db_option(CLI::App* command, CliContext& context);

/// A spec command's overrides (key=value ..., docs/spec.md) and Hydra's -m/--multirun,
/// accepted and ignored: every torchsweep run is a multirun.
void add_overrides_argument(CLI::App* command, std::vector<std::string>& overrides);

/// Writes to `out` what `query` prints about the database at `path`, opened for reading
/// without leaving a file beside it (Store::read): the output is buffered and written
/// once, from a read no writer disturbed.
void print_from_database(const std::string& path, std::ostream& out,
                         const std::function<void(Database& db, std::ostream& out)>& query);

/// "a,b,,c" → {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text);
/// Comma-separated integers for `flag`; InputError naming the flag otherwise.
std::vector<int64_t> parse_integers(const std::string& flag, const std::string& text);
/// argv joined by spaces.
std::string command_line(const CliContext& context);
/// Progress bars only when the output is this process's terminal.
bool is_terminal(const std::ostream& out);
/// The exit code of a stopped (by `stop_signal`) or finished sweep with `failed` failed runs.
int sweep_exit_code(int stop_signal, int failed);

}  // namespace torchsweep
