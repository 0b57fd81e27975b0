// Artifact folders belong to one database. A database records an identity in its file
// (the `meta` table's uid, schema 10); each run's artifact folder holds a marker,
// owner.json, naming the database (uid and file), the run (id and uid) and its config
// hash. A checkpoint is continued only by the run that wrote it, and only the database
// that owns a folder deletes it.
//
// Who owns a folder (docs/results-schema.md, "Artifact folders"): the database file at
// the marker's path (the same file: device and inode), holding the uid the marker names.
// A copy of a file (cp a.db b.db) keeps a's uid; the folders a's markers name are a's,
// not b's. When the file at the marker's path is gone, no file proves the folder its
// own: a moved database and every copy of it hold the uid alike (cp a.db b.db; mv a.db
// c.db), so each continues from a copy of such a folder and none deletes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "results/sqlite.h"

namespace torchsweep {

/// The marker file in every run's artifact folder.
constexpr const char* kOwnerFile = "owner.json";

/// The default artifacts folder for a database path: "runs.db" → "runs-artifacts".
std::string default_artifacts_root(const std::string& db_path);

/// Who a database is: the uid its file records, and the file it is read from now.
struct DatabaseIdentity {
  std::string uid;
  std::string path;  ///< absolute
};

/// The identity of an open database (schema 10 or later).
DatabaseIdentity database_identity(Database& db);

/// What a run folder's marker says.
struct ArtifactOwner {
  std::string database_uid;
  std::string database_path;  ///< absolute: the database file that wrote the marker
  int64_t run_id = 0;
  std::string run_uid;
  std::string config_hash;
};

/// Writes `dir`/owner.json (replacing it atomically), creating `dir` as needed.
void write_owner(const std::string& dir, const ArtifactOwner& owner);
/// The marker of `dir`; nullopt when it has none. A marker that cannot be read or
/// parsed comes back with empty fields: it names no database.
std::optional<ArtifactOwner> read_owner(const std::string& dir);
/// "/abs/a.db (database 3fa2c9e1, run 2)" for messages.
std::string describe_owner(const ArtifactOwner& owner);

/// A run's record as far as its folder is concerned.
struct RunFolderRecord {
  int64_t id = 0;
  std::string uid;
  std::string config_hash;
  std::string artifact_dir;  ///< "" when none is recorded
  std::string checkpoint;    ///< "" when none is recorded
};
/// The record of run `run_id`; InputError when there is none.
RunFolderRecord run_folder_record(Database& db, int64_t run_id);

/// How a folder stands to a run of this database.
enum class FolderStanding {
  Missing,     ///< nothing there
  Own,         ///< marked as this database's, for this run
  SameRun,     ///< marked for this run (uid and config hash) by another database: a copy's or a merged shard's
  Unproven,    ///< marked for this run with this database's uid, by a file that is gone (moved, or a copy's original)
  Unmarked,    ///< no marker (written before schema 10, or not a run folder)
  Foreign,     ///< marked for another run or by another database
};

/// Decides which folders belong to one database, reading the other database files that
/// markers name at most once each.
class ArtifactOwnership {
 public:
  explicit ArtifactOwnership(Database& db);
  /// For a database not open here (a shard already closed).
  explicit ArtifactOwnership(DatabaseIdentity me) : me_(std::move(me)) {}
  const DatabaseIdentity& identity() const { return me_; }
  /// The marker names this database (the rule above), whatever run it names.
  bool names_this_database(const ArtifactOwner& owner) const;
  /// How `dir` stands to `run`; `owner` receives the marker when there is one.
  FolderStanding standing(const std::string& dir, const RunFolderRecord& run, std::optional<ArtifactOwner>* owner = nullptr);
  /// The marker this database writes for `run`.
  ArtifactOwner marker_for(const RunFolderRecord& run) const;

 private:
  DatabaseIdentity me_;
};

/// Whether a run's recorded folder is its database's: the one rule by which a run
/// continues in place, and `results delete` removes.
struct FolderClaim {
  FolderStanding standing = FolderStanding::Missing;
  std::optional<ArtifactOwner> owner;  ///< the folder's marker, when it has one
  /// This database's: marked by it for the run, or, from before markers, unmarked inside
  /// `root` holding the checkpoint the database recorded for the run there.
  bool own = false;
  /// The run's checkpoint but not provably this database's (a copy's original's, a
  /// shard's, a gone file's, unmarked outside `root`): continued from a copy, never deleted.
  bool same_run = false;
  /// Why a folder that exists is not this database's: "belongs to run 2 of database
  /// 3fa2c9e1 (/data/a.db)", "has no owner.json and lies outside /data/a-artifacts", ...
  std::string why_not;
};
/// How run `run`'s recorded folder stands to the database `ownership` speaks for, whose
/// own artifacts folder is `root`.
FolderClaim claim_run_folder(ArtifactOwnership& ownership, const RunFolderRecord& run, const std::string& root);

/// Whether `path` lies inside the folder `root` (both made absolute, as text).
bool is_inside(const std::string& path, const std::string& root);

/// Points run `run_id`'s rows at `to` instead of `from`: artifact_dir, and the recorded
/// checkpoint (runs.checkpoint, the artifacts rows) re-based onto `to` when
/// `keep_checkpoint` (the folder was copied there), else forgotten. Within the caller's
/// transaction.
void rebase_run_folder(Database& db, int64_t run_id, const std::string& from, const std::string& to,
                       bool keep_checkpoint);

/// A folder under `root` for the run that nothing else holds: root/run-ID, or, when that
/// is taken by anything but this run's own folder, root/run-ID-UID8 (then the whole
/// uid). `taken` receives the first name found taken ("" when none was).
std::string free_run_folder(ArtifactOwnership& ownership, const RunFolderRecord& run, const std::string& root,
                            std::string* taken = nullptr);

/// The folder a claimed run trains in, and what the worker says about it.
struct RunFolder {
  std::string dir;
  std::string note;  ///< one line for the user ("" when there is nothing to say)
};

/// Chooses, records and marks the folder run `run_id` keeps its checkpoints in, before
/// it trains, so that it continues only a checkpoint it wrote itself:
/// - its recorded folder when that is its own (claim_run_folder);
/// - a copy of it (hard links, under `root`) when the folder is this run's but not
///   provably this database's (the run came from a copy of the database or a merge, or
///   the file that marked it is gone): it continues there without touching those files;
/// - else a free folder under `root` (free_run_folder), trained from scratch; a folder
///   of someone else's found on the way is left as it was and named in the note.
RunFolder prepare_run_folder(Database& db, ArtifactOwnership& ownership, int64_t run_id, const std::string& root);

}  // namespace torchsweep
