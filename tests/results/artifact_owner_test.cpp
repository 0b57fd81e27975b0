// Artifact folders belong to one database: its identity, the marker in each run folder,
// which folders a database (or a copy of it) owns, and the folder a claimed run trains
// in. Files are real; expected values come from the paths and uids the test made.
#include "results/artifact_owner.h"

#include <fstream>
#include <sstream>

#include "base/paths.h"
#include "tests/results/store_fixture.h"
#include "tests/test_helpers.h"

namespace {

using torchsweep::ArtifactOwner;
using torchsweep::ArtifactOwnership;
using torchsweep::FolderStanding;
using torchsweep::Store;
using torchsweep::testing::make_run;
using torchsweep::testing::make_sweep;
using torchsweep::testing::scalar_text;
using torchsweep::testing::TempDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Copies a closed database file byte for byte, as `cp` does.
void copy_file(const std::string& from, const std::string& to) {
  std::ofstream(to, std::ios::binary) << read_text(from);
}

/// A database with one sweep of `runs` runs; returns their ids.
std::vector<int64_t> make_database(const std::string& path, int runs) {
  auto store = Store::open(path);
  std::vector<torchsweep::NewRun> new_runs;
  for (int i = 0; i < runs; ++i) new_runs.push_back(make_run(i, 0.1 * (i + 1), 1));
  return store->create_sweep(make_sweep("s"), new_runs).second;
}

/// A fake checkpoint, as train/checkpoint writes one: a step folder and `latest`.
void write_checkpoint(const std::string& dir, int step) {
  const std::string name = "step-" + std::to_string(step);
  torchsweep::create_directories(dir + "/" + name);
  std::ofstream(dir + "/" + name + "/model.pt") << "weights at " << step;
  std::ofstream(dir + "/latest") << name << "\n";
}

TEST(ArtifactOwnerTest, EachDatabaseHasItsOwnUidAndACopyKeepsIt) {
  TempDir dir;
  make_database(dir.file("a.db"), 1);
  make_database(dir.file("b.db"), 1);
  copy_file(dir.file("a.db"), dir.file("copy.db"));
  auto a = Store::open(dir.file("a.db"));
  auto b = Store::open(dir.file("b.db"));
  auto copy = Store::open(dir.file("copy.db"));
  const std::string uid = scalar_text(a->db(), "SELECT value FROM meta WHERE key = 'uid'");
  EXPECT_EQ(uid.size(), 32u);
  EXPECT_NE(scalar_text(b->db(), "SELECT value FROM meta WHERE key = 'uid'"), uid);
  EXPECT_EQ(torchsweep::database_identity(copy->db()).uid, uid);
  EXPECT_EQ(torchsweep::database_identity(a->db()).path, dir.file("a.db"));
}

TEST(ArtifactOwnerTest, AMarkerIsWrittenAndReadBack) {
  TempDir dir;
  const ArtifactOwner owner{"0123456789abcdef0123456789abcdef", "/data/a.db", 7, "feedbeef", "cfg7"};
  torchsweep::write_owner(dir.file("run-7"), owner);
  const auto back = torchsweep::read_owner(dir.file("run-7"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->database_uid, owner.database_uid);
  EXPECT_EQ(back->database_path, "/data/a.db");
  EXPECT_EQ(back->run_id, 7);
  EXPECT_EQ(back->run_uid, "feedbeef");
  EXPECT_EQ(back->config_hash, "cfg7");
  EXPECT_FALSE(torchsweep::read_owner(dir.path() + "/nothing").has_value());
  std::ofstream(dir.file("run-7/owner.json")) << "{not json";
  const auto broken = torchsweep::read_owner(dir.file("run-7"));
  ASSERT_TRUE(broken.has_value()) << "an unreadable marker is still a marker: the folder is not unowned";
  EXPECT_EQ(broken->database_uid, "");
}

/// The ownership rule: the file at the marker's path, holding the marker's uid.
TEST(ArtifactOwnerTest, ACopyDoesNotOwnTheOriginalsFoldersNorDoesAMovedDatabase) {
  TempDir dir;
  const auto ids = make_database(dir.file("a.db"), 1);
  auto a = Store::open(dir.file("a.db"));
  ArtifactOwnership a_owns(a->db());
  const auto run = torchsweep::run_folder_record(a->db(), ids[0]);
  const std::string folder = dir.file("a-artifacts/run-1");
  torchsweep::write_owner(folder, a_owns.marker_for(run));
  EXPECT_EQ(a_owns.standing(folder, run), FolderStanding::Own);

  copy_file(dir.file("a.db"), dir.file("b.db"));
  {
    auto b = Store::open(dir.file("b.db"));
    ArtifactOwnership b_owns(b->db());
    EXPECT_EQ(b_owns.identity().uid, a_owns.identity().uid) << "a copy keeps the uid";
    EXPECT_EQ(b_owns.standing(folder, run), FolderStanding::SameRun) << "a.db is still there: the folder is a's";
  }
  // A database moved away is no more the folder's owner than a copy of it: both hold
  // the uid, and the file at the marker's path, which alone proves it, is gone.
  a.reset();
  torchsweep::rename_path(dir.file("a.db"), dir.file("moved.db"));
  auto moved = Store::open(dir.file("moved.db"));
  ArtifactOwnership moved_owns(moved->db());
  EXPECT_EQ(moved_owns.standing(folder, run), FolderStanding::Unproven);
  EXPECT_FALSE(moved_owns.names_this_database(*torchsweep::read_owner(folder)));
  // It continues from a copy in its own folder; the marked folder is left as it was.
  write_checkpoint(folder, 6);
  moved->set_artifact_dir(run.id, folder);
  moved->record_checkpoint(run.id, folder + "/step-6", 2);
  const std::string moved_root = dir.file("moved-artifacts");
  const auto continued = torchsweep::prepare_run_folder(moved->db(), moved_owns, run.id, moved_root);
  EXPECT_EQ(continued.dir, moved_root + "/run-1");
  EXPECT_NE(continued.note.find("its checkpoint folder " + folder + " was marked by " + dir.file("a.db") + ", which is gone"),
            std::string::npos)
      << continued.note;
  EXPECT_NE(continued.note.find("continuing from a copy in " + moved_root + "/run-1"), std::string::npos) << continued.note;
  EXPECT_EQ(read_text(continued.dir + "/step-6/model.pt"), "weights at 6");
  EXPECT_EQ(scalar_text(moved->db(), "SELECT checkpoint FROM runs WHERE id = 1"), moved_root + "/run-1/step-6");
  EXPECT_EQ(torchsweep::read_owner(folder)->database_path, dir.file("a.db")) << "the old marker is left as it was";
  EXPECT_EQ(moved_owns.standing(continued.dir, run), FolderStanding::Own);
  moved.reset();
  // A new database at the old path is another database: the folder is not its.
  const auto fresh_ids = make_database(dir.file("a.db"), 1);
  auto fresh = Store::open(dir.file("a.db"));
  const auto fresh_run = torchsweep::run_folder_record(fresh->db(), fresh_ids[0]);
  EXPECT_EQ(ArtifactOwnership(fresh->db()).standing(folder, fresh_run), FolderStanding::Foreign);
}

/// A run of a new database whose default folder holds a deleted database's finished
/// checkpoint (issue 22, item 2): the folder is left as it was, the run gets another.
TEST(ArtifactOwnerTest, AFreshRunNeverTakesAnotherDatabasesFolder) {
  TempDir dir;
  const std::string root = dir.file("ar-artifacts");
  {
    const auto ids = make_database(dir.file("ar.db"), 1);
    auto old = Store::open(dir.file("ar.db"));
    ArtifactOwnership owns(old->db());
    const auto folder = torchsweep::prepare_run_folder(old->db(), owns, ids[0], root);
    EXPECT_EQ(folder.dir, root + "/run-1");
    EXPECT_EQ(folder.note, "");
    write_checkpoint(folder.dir, 30);
  }
  torchsweep::remove_all(dir.file("ar.db"));
  const auto ids = make_database(dir.file("ar.db"), 1);
  auto store = Store::open(dir.file("ar.db"));
  ArtifactOwnership owns(store->db());
  const std::string uid = scalar_text(store->db(), "SELECT uid FROM runs WHERE id = 1");
  const auto folder = torchsweep::prepare_run_folder(store->db(), owns, ids[0], root);
  EXPECT_EQ(folder.dir, root + "/run-1-" + uid.substr(0, 8));
  EXPECT_NE(folder.note.find(root + "/run-1 holds run 1 of database"), std::string::npos) << folder.note;
  EXPECT_NE(folder.note.find("training from scratch in " + folder.dir), std::string::npos) << folder.note;
  EXPECT_FALSE(torchsweep::path_exists(folder.dir + "/latest")) << "nothing to continue in the new folder";
  EXPECT_EQ(read_text(root + "/run-1/step-30/model.pt"), "weights at 30") << "the old folder is left as it was";
  EXPECT_EQ(scalar_text(store->db(), "SELECT artifact_dir FROM runs WHERE id = 1"), folder.dir);
  EXPECT_EQ(torchsweep::read_owner(folder.dir)->run_uid, uid);
  // Taken again (an interrupted run), the folder is its own: no note.
  const auto again = torchsweep::prepare_run_folder(store->db(), owns, ids[0], root);
  EXPECT_EQ(again.dir, folder.dir);
  EXPECT_EQ(again.note, "");
}

/// A run continued in a copy of its database (cp a.db b.db) continues from a copy of its
/// checkpoint in b's own folder; a's files stay as they were.
TEST(ArtifactOwnerTest, ARunContinuedInACopyContinuesFromACopyOfItsCheckpoint) {
  TempDir dir;
  const auto ids = make_database(dir.file("a.db"), 1);
  const std::string a_folder = dir.file("a-artifacts/run-1");
  {
    auto a = Store::open(dir.file("a.db"));
    ArtifactOwnership owns(a->db());
    ASSERT_EQ(torchsweep::prepare_run_folder(a->db(), owns, ids[0], dir.file("a-artifacts")).dir, a_folder);
    write_checkpoint(a_folder, 12);
    a->record_checkpoint(ids[0], a_folder + "/step-12", 3);
  }
  copy_file(dir.file("a.db"), dir.file("b.db"));
  auto a = Store::open(dir.file("a.db"));  // still there: the folder is a's
  auto b = Store::open(dir.file("b.db"));
  ArtifactOwnership owns(b->db());
  const std::string b_root = dir.file("b-artifacts");
  const auto folder = torchsweep::prepare_run_folder(b->db(), owns, ids[0], b_root);
  EXPECT_EQ(folder.dir, b_root + "/run-1");
  EXPECT_NE(folder.note.find("continuing from a copy in " + b_root + "/run-1"), std::string::npos) << folder.note;
  EXPECT_EQ(read_text(folder.dir + "/step-12/model.pt"), "weights at 12");
  EXPECT_EQ(read_text(folder.dir + "/latest"), "step-12\n");
  EXPECT_EQ(scalar_text(b->db(), "SELECT checkpoint || ' ' || checkpoint_epoch FROM runs WHERE id = 1"),
            b_root + "/run-1/step-12 3");
  EXPECT_EQ(scalar_text(b->db(), "SELECT path FROM artifacts WHERE run_id = 1"), b_root + "/run-1/step-12");
  EXPECT_EQ(torchsweep::read_owner(a_folder)->database_path, dir.file("a.db")) << "a's marker is a's";
  EXPECT_EQ(scalar_text(a->db(), "SELECT checkpoint FROM runs WHERE id = 1"), a_folder + "/step-12");
  // The copy is b's own: replacing a file there (as a checkpoint does) leaves a's alone.
  torchsweep::remove_all(folder.dir + "/step-12");
  EXPECT_EQ(read_text(a_folder + "/step-12/model.pt"), "weights at 12");
}

/// Issue 22 (review): after `cp a.db b.db; mv a.db c.db` both b and c hold a's uid and
/// the file at the markers' path is gone: neither owns a's folders.
TEST(ArtifactOwnerTest, NeitherACopyNorTheMovedOriginalOwnsFoldersMarkedByAGoneFile) {
  TempDir dir;
  const auto ids = make_database(dir.file("a.db"), 1);
  const std::string folder = dir.file("a-artifacts/run-1");
  {
    auto a = Store::open(dir.file("a.db"));
    ArtifactOwnership owns(a->db());
    ASSERT_EQ(torchsweep::prepare_run_folder(a->db(), owns, ids[0], dir.file("a-artifacts")).dir, folder);
    write_checkpoint(folder, 3);
    a->record_checkpoint(ids[0], folder + "/step-3", 1);
  }
  copy_file(dir.file("a.db"), dir.file("b.db"));
  torchsweep::rename_path(dir.file("a.db"), dir.file("c.db"));
  for (const char* name : {"b", "c"}) {
    auto store = Store::open(dir.file(std::string(name) + ".db"));
    ArtifactOwnership owns(store->db());
    const auto run = torchsweep::run_folder_record(store->db(), ids[0]);
    EXPECT_EQ(owns.standing(folder, run), FolderStanding::Unproven) << name;
    const auto claim = torchsweep::claim_run_folder(owns, run, dir.file(std::string(name) + "-artifacts"));
    EXPECT_FALSE(claim.own) << name;
    EXPECT_TRUE(claim.same_run) << name;
    EXPECT_EQ(claim.why_not.rfind("was marked by " + dir.file("a.db") + ", which is gone", 0), 0u) << claim.why_not;
  }
}

/// A run whose copy was made but not yet recorded (an interrupted attempt) continues
/// from the checkpoint in its own copy: the record is kept, re-based there.
TEST(ArtifactOwnerTest, AnEarlierCopyOfTheCheckpointKeepsItsRecord) {
  TempDir dir;
  const auto ids = make_database(dir.file("a.db"), 1);
  const std::string a_folder = dir.file("a-artifacts/run-1");
  {
    auto a = Store::open(dir.file("a.db"));
    ArtifactOwnership owns(a->db());
    ASSERT_EQ(torchsweep::prepare_run_folder(a->db(), owns, ids[0], dir.file("a-artifacts")).dir, a_folder);
    write_checkpoint(a_folder, 12);
    a->record_checkpoint(ids[0], a_folder + "/step-12", 3);
  }
  copy_file(dir.file("a.db"), dir.file("b.db"));
  auto b = Store::open(dir.file("b.db"));
  ArtifactOwnership owns(b->db());
  const std::string b_folder = dir.file("b-artifacts/run-1");
  // The earlier attempt: the copy and b's marker, the record still at a's folder.
  write_checkpoint(b_folder, 12);
  torchsweep::write_owner(b_folder, owns.marker_for(torchsweep::run_folder_record(b->db(), ids[0])));
  const auto folder = torchsweep::prepare_run_folder(b->db(), owns, ids[0], dir.file("b-artifacts"));
  EXPECT_EQ(folder.dir, b_folder);
  EXPECT_NE(folder.note.find("continuing in its own " + b_folder), std::string::npos) << folder.note;
  EXPECT_EQ(scalar_text(b->db(), "SELECT checkpoint || ' ' || checkpoint_epoch FROM runs WHERE id = 1"),
            b_folder + "/step-12 3");
  EXPECT_EQ(scalar_text(b->db(), "SELECT path FROM artifacts WHERE run_id = 1"), b_folder + "/step-12");
}

TEST(ArtifactOwnerTest, AnUnmarkedFolderFromBeforeMarkersIsAdoptedOnlyWithItsRecordedCheckpoint) {
  TempDir dir;
  const auto ids = make_database(dir.file("old.db"), 2);
  auto store = Store::open(dir.file("old.db"));
  ArtifactOwnership owns(store->db());
  const std::string root = dir.file("old-artifacts");
  // Run 1: recorded folder and checkpoint, no marker (an older torchsweep wrote them).
  write_checkpoint(root + "/run-1", 5);
  store->set_artifact_dir(ids[0], root + "/run-1");
  store->record_checkpoint(ids[0], root + "/run-1/step-5", 1);
  const auto adopted = torchsweep::prepare_run_folder(store->db(), owns, ids[0], root);
  EXPECT_EQ(adopted.dir, root + "/run-1");
  EXPECT_EQ(adopted.note, "");
  EXPECT_TRUE(torchsweep::read_owner(root + "/run-1").has_value()) << "marked now";
  // Run 2: a folder at its default name that it never recorded.
  write_checkpoint(root + "/run-2", 9);
  const auto other = torchsweep::prepare_run_folder(store->db(), owns, ids[1], root);
  EXPECT_NE(other.dir, root + "/run-2");
  EXPECT_NE(other.note.find(root + "/run-2 has no owner.json"), std::string::npos) << other.note;
}

/// A run whose recorded checkpoint folder is gone trains from scratch and says why.
TEST(ArtifactOwnerTest, ARunWhoseCheckpointFolderIsGoneSaysSo) {
  TempDir dir;
  const auto ids = make_database(dir.file("g.db"), 1);
  auto store = Store::open(dir.file("g.db"));
  ArtifactOwnership owns(store->db());
  const std::string root = dir.file("g-artifacts");
  store->set_artifact_dir(ids[0], root + "/run-1");
  store->record_checkpoint(ids[0], root + "/run-1/step-8", 2);
  const auto folder = torchsweep::prepare_run_folder(store->db(), owns, ids[0], root);
  EXPECT_EQ(folder.dir, root + "/run-1");
  EXPECT_EQ(folder.note, root + "/run-1 (its checkpoint folder) is gone: training from scratch in " + root + "/run-1");
  EXPECT_EQ(scalar_text(store->db(), "SELECT coalesce(checkpoint, 'none') FROM runs WHERE id = 1"), "none");
  EXPECT_EQ(torchsweep::testing::scalar_int(store->db(), "SELECT count(*) FROM artifacts"), 0);
}

}  // namespace
