#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "base/error.h"
#include "cli/command.h"
#include "cli/completion.h"
#include "cli/launch_commands.h"
#include "cli/results_commands.h"
#include "cli/spec_commands.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "torchsweep/config.h"

namespace torchsweep {

namespace {

/// For a mistyped command (`torchsweep rnu`, `results lsit`): what it should say, with
/// the closest command; "" when the words name commands (CLI11's message then stands).
std::string unknown_command(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* at = &app;
  std::string path = "torchsweep";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return "";
    std::vector<std::string> names;
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
      names.push_back(sub->get_name());
      if (sub->get_name() == word) next = sub;
    }
    if (names.empty()) return "";  // a command's own arguments
    if (next) {
      at = next;
      path += " " + word;
      continue;
    }
    std::string list;
    for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
    const std::string near = closest_match(word, names);
    return path + ": unknown command '" + word + "'" + (near.empty() ? "" : ", did you mean '" + near + "'?") +
           " (expected one of: " + list + ")";
  }
  return "";
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"torchsweep: declarative experiment runner for LibTorch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("torchsweep ") + TORCHSWEEP_VERSION);

  CliContext context{out, err, argc, argv, default_db_path()};
  Commands commands;
  add_launch_commands(app, context, commands);
  add_spec_commands(app, context, commands);
  add_results_commands(app, context, commands);
  std::string shell;
  auto* completion = app.add_subcommand("completion", "print a shell completion script: eval \"$(torchsweep completion bash)\"");
  completion->add_option("shell", shell, "bash or zsh")->required();
  commands.add(completion, [&] {
    out << completion_script(app, shell);
    return kExitOk;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << "torchsweep " << TORCHSWEEP_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const std::string mistyped = unknown_command(app, argc, argv);
    err << (mistyped.empty() ? "torchsweep: " + std::string(e.what()) : mistyped) << "\n";
    // Subcommand help goes to stdout through the exception's own app.
    return kExitBadInput;
  }

  try {
    const auto* action = commands.parsed();
    return action ? (*action)() : kExitBadInput;
  } catch (const InputError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const DatabaseError& e) {
    err << "torchsweep: results database " << context.db_path << ": " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "torchsweep: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace torchsweep
