#include "launch/environment.h"
#include "torchsweep/config.h"

#include <torch/version.h>
#include <unistd.h>

#include <array>
#include <cstdio>

namespace torchsweep {

namespace {
std::string git_commit_of_cwd() {
  // git is optional: without it, or outside a checkout, the commit stays empty.
  FILE* pipe = ::popen("git rev-parse HEAD 2>/dev/null", "r");
  if (!pipe) return "";
  std::array<char, 128> buffer{};
  std::string out;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) out += buffer.data();
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.size() == 40 ? out : "";
}
}  // namespace

Environment current_environment(const std::string& command_line) {
  static const std::string commit = git_commit_of_cwd();
  Environment env;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) env.host = host.data();
  env.torchsweep_version = TORCHSWEEP_VERSION;
  env.torch_version = TORCH_VERSION;
  env.git_commit = commit;
  env.command_line = command_line;
  return env;
}

}  // namespace torchsweep
