#include "cli/app.h"

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/cli.h"
#include "results/sqlite.h"
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

/// For arguments a command does not take (`results list --formt csv`): which command,
/// what it did not expect, and the closest of its flags; "" when nothing was left over.
std::string unexpected_arguments(const CLI::App& app) {
  const std::vector<std::string> extras = app.remaining(/*recurse=*/true);
  if (extras.empty()) return "";
  const CLI::App* at = &app;
  std::string path = "torchsweep";
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : at->get_subcommands()) {  // the parsed ones
      at = sub;
      path += " " + sub->get_name();
      deeper = true;
      break;
    }
  }
  std::vector<std::string> flags = {"--help"};
  for (const CLI::Option* option : at->get_options()) {
    for (const auto& name : option->get_lnames()) flags.push_back("--" + name);
    for (const auto& name : option->get_snames()) flags.push_back("-" + name);
  }
  const std::string help = " (" + path + " --help lists what it takes)";
  for (const auto& word : extras) {
    if (word.size() < 2 || word[0] != '-' || std::isdigit(static_cast<unsigned char>(word[1]))) continue;
    const std::string flag = word.substr(0, word.find('='));
    const std::string near = closest_match(flag, flags);
    return path + ": unknown flag '" + flag + "'" + (near.empty() ? "" : ", did you mean '" + near + "'?") + help;
  }
  return path + ": unexpected argument" + (extras.size() > 1 ? "s '" : " '") + join(extras, "', '") + "'" + help;
}

}  // namespace

std::unique_ptr<CLI::App> make_app() {
  auto app = std::make_unique<CLI::App>("torchsweep: declarative experiment runner for LibTorch");
  app->require_subcommand(1);
  app->set_version_flag("--version", std::string("torchsweep ") + TORCHSWEEP_VERSION);
  return app;
}

int parse_and_run(CLI::App& app, const Commands& commands, CliContext& context) {
  const int argc = context.argc;
  const char* const* argv = context.argv;
  std::ostream& out = context.out;
  std::ostream& err = context.err;
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
    std::string message = unknown_command(app, argc, argv);
    if (message.empty() && dynamic_cast<const CLI::ExtrasError*>(&e)) message = unexpected_arguments(app);
    err << (message.empty() ? "torchsweep: " + std::string(e.what()) : message) << "\n";
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
    // SQLite's messages from opening the file name it already.
    const std::string what = e.what();
    err << "torchsweep: results database "
        << (what.rfind(context.db_path + ":", 0) == 0 ? what : context.db_path + ": " + what) << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "torchsweep: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace torchsweep
