// The POSIX file-system helpers, checked against what the shell and POSIX say.
#include "base/paths.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include "tests/test_helpers.h"

namespace torchsweep {
namespace {

using testing::TempDir;

TEST(Paths, JoinAndExtension) {
  EXPECT_EQ(join_path("a", "b.db"), "a/b.db");
  EXPECT_EQ(join_path("a/", "b"), "a/b");
  EXPECT_EQ(join_path("", "b"), "b");
  EXPECT_EQ(join_path("a", "/abs"), "/abs");
  EXPECT_EQ(path_extension("shards/task-0.db"), ".db");
  EXPECT_EQ(path_extension("archive.tar.gz"), ".gz");
  EXPECT_EQ(path_extension("dir.d/file"), "");
  EXPECT_EQ(path_extension(".bashrc"), "");
  EXPECT_EQ(path_extension(".."), "");
}

TEST(Paths, LexicallyNormal) {
  EXPECT_EQ(lexically_normal("/a/./b//c/../d"), "/a/b/d");
  EXPECT_EQ(lexically_normal("a/../../b"), "../b");
  EXPECT_EQ(lexically_normal("/../x"), "/x");
  EXPECT_EQ(lexically_normal("./"), ".");
  EXPECT_EQ(lexically_normal("a/b/.."), "a");
}

TEST(Paths, AbsoluteIsAgainstTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(absolute_path("x/../y.db"), lexically_normal(std::string(cwd) + "/y.db"));
  EXPECT_EQ(absolute_path("/tmp/./z"), "/tmp/z");
  EXPECT_EQ(executable_path().substr(0, 1), "/");
  EXPECT_TRUE(is_regular_file(executable_path()));
}

TEST(Paths, CreateListAndRemoveATree) {
  TempDir dir;
  const std::string deep = dir.file("a/b/c/");
  create_directories(deep);
  create_directories(deep);  // an existing folder is fine
  EXPECT_TRUE(is_directory(dir.file("a/b/c")));
  dir.write("a/b/one.db", "1");
  dir.write("a/two.txt", "22");
  ASSERT_EQ(::symlink(dir.path().c_str(), dir.file("a/b/link-out").c_str()), 0);
  EXPECT_EQ(list_directory(dir.file("a/b")), (std::vector<std::string>{"c", "link-out", "one.db"}));
  EXPECT_EQ(file_size(dir.file("a/two.txt")), 2);
  EXPECT_EQ(file_size(dir.file("a")), -1) << "a folder has no file size";
  EXPECT_TRUE(path_exists(dir.file("a/two.txt")));
  EXPECT_FALSE(is_directory(dir.file("a/two.txt")));

  remove_all(dir.file("a"));
  EXPECT_FALSE(path_exists(dir.file("a")));
  EXPECT_TRUE(is_directory(dir.path())) << "a link inside the tree is removed, not followed";
  remove_all(dir.file("a"));  // already gone: fine
  remove_all(dir.file("never"));
}

TEST(Paths, FailuresNameThePath) {
  TempDir dir;
  const std::string file = dir.write("plain", "x");
  ASSERT_THROWS_WITH(create_directories(file + "/sub"), std::system_error, file + "/sub");
  ASSERT_THROWS_WITH(list_directory(dir.file("missing")), std::system_error, "missing: cannot list");
  ASSERT_THROWS_WITH(rename_path(dir.file("missing"), dir.file("b")), std::system_error, "missing");
}

TEST(Paths, RenameReplacesAndExecutePermissionIsAdded) {
  TempDir dir;
  dir.write("new", "new");
  dir.write("old", "old");
  rename_path(dir.file("new"), dir.file("old"));
  std::ifstream in(dir.file("old"));
  std::string text;
  in >> text;
  EXPECT_EQ(text, "new");
  EXPECT_FALSE(path_exists(dir.file("new")));
  add_execute_permission(dir.file("old"));
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("old").c_str(), &info), 0);
  EXPECT_TRUE(info.st_mode & S_IXUSR);
  EXPECT_TRUE(info.st_mode & S_IXGRP);
}

TEST(Paths, TempDirectoriesAreFreshAndFollowTmpdir) {
  TempDir parent;
  const char* saved = std::getenv("TMPDIR");
  const std::string restore = saved ? saved : "";
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  const std::string a = make_temp_directory("t-"), b = make_temp_directory("t-");
  if (saved) ::setenv("TMPDIR", restore.c_str(), 1); else ::unsetenv("TMPDIR");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind(parent.path() + "/t-", 0), 0u);
  EXPECT_TRUE(is_directory(a));
  EXPECT_TRUE(list_directory(a).empty());
}

TEST(Paths, CopyTreeLinksFilesAndKeepsTheTreesIndependent) {
  TempDir dir;
  create_directories(dir.file("from/step-3"));
  std::ofstream(dir.file("from/step-3/model.pt")) << "weights";
  std::ofstream(dir.file("from/latest")) << "step-3\n";
  copy_tree(dir.file("from"), dir.file("deep/to"));  // the parent is made too
  struct stat a {}, b {};
  ASSERT_EQ(::stat(dir.file("from/step-3/model.pt").c_str(), &a), 0);
  ASSERT_EQ(::stat(dir.file("deep/to/step-3/model.pt").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "one file system: a hard link, no second copy of the bytes";
  EXPECT_EQ(a.st_nlink, 2u);
  // Files are replaced (rename), never changed in place: replacing one side leaves the other.
  std::ofstream(dir.file("deep/to/latest.tmp")) << "step-9\n";
  rename_path(dir.file("deep/to/latest.tmp"), dir.file("deep/to/latest"));
  std::ifstream latest(dir.file("from/latest"));
  std::string line;
  std::getline(latest, line);
  EXPECT_EQ(line, "step-3");
  EXPECT_THROW(copy_tree(dir.file("from"), dir.file("deep/to")), std::system_error) << "the target exists";
}

}  // namespace
}  // namespace torchsweep
