// File-system helpers on plain POSIX calls, for the library, the executable and the tests.
//
// Why not std::filesystem: the official LibTorch binaries (the ones inside pip and
// conda torch) are linked with a static copy of libstdc++'s filesystem code and export
// it. A call from our code to, say, std::filesystem::remove_all can bind at load time
// to that copy, built against another libstdc++, and crash (pytorch/pytorch#133437).
// A test checks that no binary of ours imports a std::filesystem symbol.
//
// Paths are plain strings. Functions that change the file system throw
// std::system_error naming the path; queries return false or empty instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace torchsweep {

/// Whether `path` names anything (a file, a folder, a device…); follows links.
bool path_exists(const std::string& path);
/// Whether `path` is a folder (following links).
bool is_directory(const std::string& path);
/// Whether `path` is a regular file (following links).
bool is_regular_file(const std::string& path);
/// Size in bytes of a regular file; -1 when it cannot be read.
int64_t file_size(const std::string& path);

/// `dir` + "/" + `name`, without doubling a trailing slash; `name` as is when absolute.
std::string join_path(const std::string& dir, const std::string& name);
/// The last component's extension with its dot (".db"), or "" when it has none.
std::string path_extension(const std::string& path);
/// "." and ".." and repeated slashes resolved as text, without touching the disk.
std::string lexically_normal(const std::string& path);
/// The path made absolute against the working directory, then lexically normal.
std::string absolute_path(const std::string& path);
/// The running program's own file (/proc/self/exe).
std::string executable_path();

/// Names in a folder (without "." and ".."), sorted; throws when it cannot be read.
std::vector<std::string> list_directory(const std::string& dir);
/// Creates the folder and its missing parents; an existing folder is fine.
void create_directories(const std::string& dir);
/// Removes a file, or a folder with everything in it, without following links;
/// a path that does not exist is fine.
void remove_all(const std::string& path);
/// Atomically replaces `to` with `from` (rename(2)).
void rename_path(const std::string& from, const std::string& to);
/// Copies the folder `from` with everything in it to `to` (which must not exist yet;
/// its parent folders are created):
/// each file as a hard link where the file system allows (no second copy of the bytes;
/// files that are only ever replaced, never changed in place, stay independent), else
/// as a copy of its bytes. Links inside are not followed.
void copy_tree(const std::string& from, const std::string& to);
/// Adds execute permission for the owner and the group.
void add_execute_permission(const std::string& path);

/// $TMPDIR, or /tmp.
std::string temp_directory();
/// A new, empty folder under temp_directory() whose name starts with `prefix`.
std::string make_temp_directory(const std::string& prefix);

}  // namespace torchsweep
