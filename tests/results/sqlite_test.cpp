// The SQLite layer's reads that leave no file behind: which mode a file is read in,
// and when a writer may have disturbed a read that took no lock.
#include "results/sqlite.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "base/paths.h"
#include "results/store.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::Database;
using torchsweep::Store;
using torchsweep::TracelessRead;
using torchsweep::testing::TempDir;
using torchsweep::testing::loss_curve;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;

TEST(TracelessReadTest, AFileNoOneWritesIsReadImmutableUntilAWriterAppears) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  { Store::open(path)->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}); }  // closed: no -wal
  const TracelessRead read(path);
  EXPECT_EQ(read.mode(), Database::Mode::Immutable);
  {
    Database reader(path, read.mode());
    EXPECT_FALSE(read.written_meanwhile()) << "reading is not writing";
  }
  EXPECT_FALSE(torchsweep::path_exists(path + "-wal"));
  EXPECT_FALSE(torchsweep::path_exists(path + "-shm"));
  {
    auto writer = Store::open(path);
    writer->create_sweep(make_sweep("t"), {make_run(0, 0.2, 2)});
    ASSERT_TRUE(torchsweep::path_exists(path + "-wal"));
    EXPECT_FALSE(read.written_meanwhile()) << "its writes are in its -wal, which an immutable read never sees";
  }  // closing checkpoints them into the file
  EXPECT_TRUE(read.written_meanwhile());
}

TEST(TracelessReadTest, AWriteThatCameAndWentIsSeenInTheFile) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  { Store::open(path); }
  const TracelessRead read(path);
  ASSERT_EQ(read.mode(), Database::Mode::Immutable);
  const int64_t size = torchsweep::file_size(path);
  // A writer that opened, wrote and closed (checkpointing into the file) between two looks.
  {
    auto store = Store::open(path);
    const auto id = store->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)}).second.at(0);
    store->append_metrics(id, loss_curve(2000), {"train/loss"});
  }
  ASSERT_FALSE(torchsweep::path_exists(path + "-wal"));
  ASSERT_GT(torchsweep::file_size(path), size) << "the write reached the file itself";
  EXPECT_TRUE(read.written_meanwhile());
}

TEST(TracelessReadTest, AFileBeingWrittenIsReadLikeAnyReader) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  auto writer = Store::open(path);
  writer->create_sweep(make_sweep("s"), {make_run(0, 0.1, 1)});
  const TracelessRead read(path);
  EXPECT_EQ(read.mode(), Database::Mode::ReadOnly) << "only a locking reader sees what is still in the -wal";
  writer->create_sweep(make_sweep("t"), {make_run(0, 0.2, 2)});
  EXPECT_FALSE(read.written_meanwhile()) << "a locking read is never disturbed";
  Database reader(path, read.mode());
  auto count = reader.prepare("SELECT count(*) FROM sweeps");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.get_int(0), 2);
}

}  // namespace
