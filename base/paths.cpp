#include "base/paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace torchsweep {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::system_error(errno, std::generic_category(), path + ": cannot " + what);
}

bool stat_path(const std::string& path, struct stat& info) { return !path.empty() && ::stat(path.c_str(), &info) == 0; }

}  // namespace

bool path_exists(const std::string& path) {
  struct stat info {};
  return stat_path(path, info);
}

bool is_directory(const std::string& path) {
  struct stat info {};
  return stat_path(path, info) && S_ISDIR(info.st_mode);
}

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return stat_path(path, info) && S_ISREG(info.st_mode);
}

int64_t file_size(const std::string& path) {
  struct stat info {};
  if (!stat_path(path, info) || !S_ISREG(info.st_mode)) return -1;
  return static_cast<int64_t>(info.st_size);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || (!name.empty() && name.front() == '/')) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string path_extension(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  // ".bashrc", "." and ".." have no extension, as in std::filesystem.
  if (dot == std::string::npos || dot == 0 || base == "..") return "";
  return base.substr(dot);
}

std::string lexically_normal(const std::string& path) {
  if (path.empty()) return "";
  const bool absolute = path.front() == '/';
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
        continue;
      }
      if (absolute) continue;  // "/.." is "/"
    }
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::string absolute_path(const std::string& path) {
  if (!path.empty() && path.front() == '/') return lexically_normal(path);
  std::string cwd(4096, '\0');
  while (::getcwd(cwd.data(), cwd.size()) == nullptr) {
    if (errno != ERANGE) fail("resolve against the working directory", path);
    cwd.resize(cwd.size() * 2);
  }
  cwd.resize(cwd.find('\0'));
  return lexically_normal(join_path(cwd, path));
}

std::string executable_path() {
  for (size_t size = 4096;; size *= 2) {
    std::string buffer(size, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size());
    if (n < 0) fail("read the link", "/proc/self/exe");
    if (static_cast<size_t>(n) < size) {  // else it may have been cut short
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
  }
}

std::vector<std::string> list_directory(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) fail("list the folder", dir);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

void create_directories(const std::string& path) {
  if (path.empty() || is_directory(path)) return;
  // Each prefix in turn, so that an error names the folder asked for.
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0777) != 0 && !(errno == EEXIST && is_directory(prefix))) {
      if (errno == EEXIST) errno = ENOTDIR;
      fail(prefix == path ? "create the folder" : "create the folder (at " + prefix + ")", path);
    }
    if (end == std::string::npos) return;
  }
}

void remove_all(const std::string& path) {
  struct stat info {};
  if (path.empty()) return;
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    fail("remove", path);
  }
  if (!S_ISDIR(info.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("remove", path);
    return;
  }
  // Children first (FTW_DEPTH), never following links out of the tree (FTW_PHYS).
  const auto remove_one = [](const char* entry, const struct stat*, int, struct FTW*) -> int {
    return ::remove(entry) == 0 || errno == ENOENT ? 0 : -1;
  };
  if (::nftw(path.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) fail("remove", path);
}

void rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("rename it to " + to, from);
}

namespace {

void copy_file_bytes(const std::string& from, const std::string& to, mode_t mode) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("read", from);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
  if (out < 0) {
    const int error = errno;
    ::close(in);
    errno = error;
    fail("create", to);
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(in), ::close(out);
      errno = error;
      fail("read", from);
    }
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int error = errno;
        ::close(in), ::close(out);
        errno = error;
        fail("write", to);
      }
      done += w;
    }
  }
  ::close(in);
  if (::close(out) != 0) fail("write", to);
}

void copy_entry(const std::string& from, const std::string& to) {
  struct stat info {};
  if (::lstat(from.c_str(), &info) != 0) fail("copy", from);
  if (S_ISDIR(info.st_mode)) {
    if (::mkdir(to.c_str(), info.st_mode & 07777) != 0) fail("create the folder", to);
    for (const auto& name : list_directory(from)) copy_entry(join_path(from, name), join_path(to, name));
    return;
  }
  if (S_ISLNK(info.st_mode)) {
    std::string target(4096, '\0');
    const ssize_t n = ::readlink(from.c_str(), target.data(), target.size());
    if (n < 0) fail("read the link", from);
    target.resize(static_cast<size_t>(n));
    if (::symlink(target.c_str(), to.c_str()) != 0) fail("create the link", to);
    return;
  }
  if (!S_ISREG(info.st_mode)) {
    errno = EINVAL;
    fail("copy (not a file or folder)", from);
  }
  if (::link(from.c_str(), to.c_str()) == 0) return;
  // Another file system (EXDEV), or one without hard links: copy the bytes.
  if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP && errno != EOPNOTSUPP) fail("link", to);
  copy_file_bytes(from, to, info.st_mode);
}

}  // namespace

void copy_tree(const std::string& from, const std::string& to) {
  const auto slash = to.find_last_of('/');
  if (slash != std::string::npos && slash > 0) create_directories(to.substr(0, slash));
  copy_entry(from, to);
}

void add_execute_permission(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || ::chmod(path.c_str(), (info.st_mode & 07777) | S_IXUSR | S_IXGRP) != 0)
    fail("make executable", path);
}

std::string temp_directory() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

std::string make_temp_directory(const std::string& prefix) {
  std::string pattern = join_path(temp_directory(), prefix + "XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) fail("create a temporary folder", pattern);
  return pattern;
}

}  // namespace torchsweep
