#include "cli/completion.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "base/error.h"

namespace torchsweep {

namespace {

/// Every command path (" results list"; "" for the top) with the words that may follow
/// it: its sub-commands, then its flags.
void collect(const CLI::App& app, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  std::string words;
  auto add = [&](const std::string& word) { words += (words.empty() ? "" : " ") + word; };
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  for (const CLI::App* sub : subs) add(sub->get_name());
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) add("--" + name);
    for (const auto& name : option->get_snames()) add("-" + name);
  }
  out.emplace_back(path, words);
  for (const CLI::App* sub : subs) collect(*sub, path + " " + sub->get_name(), out);
}

}  // namespace

std::string completion_script(const CLI::App& app, const std::string& shell) {
  if (shell != "bash" && shell != "zsh") throw InputError("completion: expected bash or zsh, got \"" + shell + "\"");
  std::vector<std::pair<std::string, std::string>> table;
  collect(app, "", table);
  std::string known, cases;
  for (const auto& [path, words] : table) {
    if (!path.empty()) known += fmt::format("      \"{}\") path=\"$next\" ;;\n", path);
    cases += fmt::format("    \"{}\") words=\"{}\" ;;\n", path, words);
  }
  std::string script;
  // zsh runs the bash function through its bash-completion layer.
  if (shell == "zsh") script += "autoload -U +X bashcompinit && bashcompinit\n";
  script += fmt::format(R"SH(# torchsweep {0} completion: eval "$(torchsweep completion {0})"
_torchsweep() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" path="" next i words
  # The command path so far: the words before the cursor that name commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="$path ${{COMP_WORDS[i]}}"
    case "$next" in
{1}    esac
  done
  # After a flag that takes a file, and for words that are not flags: file names.
  case "$prev" in
    --db|--into|-o|--output|--artifacts|--plot) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case "$path" in
{2}  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _torchsweep torchsweep
)SH",
                        shell, known, cases);
  return script;
}

}  // namespace torchsweep
