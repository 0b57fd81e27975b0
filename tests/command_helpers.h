// Running a program in a test's folder and reading what it printed, for the tests that
// drive `torchsweep` (or Python) as a user would.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_helpers.h"

namespace torchsweep::testing {

struct CommandResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// `s` as one word for the shell, in single quotes.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Runs a shell command in `dir` with TORCHSWEEP_DB unset, its output and errors kept apart.
inline CommandResult run_in(const TempDir& dir, const std::string& command) {
  const std::string full = "cd " + shell_quote(dir.path()) + " && env -u TORCHSWEEP_DB " + command + " >" +
                           shell_quote(dir.file("stdout.txt")) + " 2>" + shell_quote(dir.file("stderr.txt"));
  const int status = std::system(full.c_str());
  CommandResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir.file("stdout.txt"));
  r.err = read_file(dir.file("stderr.txt"));
  return r;
}

}  // namespace torchsweep::testing
