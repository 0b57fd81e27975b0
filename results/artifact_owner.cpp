#include "results/artifact_owner.h"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/paths.h"

namespace torchsweep {

std::string default_artifacts_root(const std::string& db_path) {
  std::string stem = db_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".db") == 0) stem.resize(stem.size() - 3);
  return stem + "-artifacts";
}

DatabaseIdentity database_identity(Database& db) {
  DatabaseIdentity identity;
  auto uid = db.prepare("SELECT value FROM meta WHERE key = 'uid'");
  if (uid.step()) identity.uid = uid.get_text(0);
  identity.path = absolute_path(db.path());
  return identity;
}

void write_owner(const std::string& dir, const ArtifactOwner& owner) {
  create_directories(dir);
  const nlohmann::json marker = {{"database", owner.database_uid}, {"database_path", owner.database_path},
                                 {"run", owner.run_id},            {"run_uid", owner.run_uid},
                                 {"config_hash", owner.config_hash}};
  const std::string path = join_path(dir, kOwnerFile);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << marker.dump(2) << "\n";
    out.flush();
    if (!out) throw RuntimeFailure(tmp + ": cannot write");
  }
  // Replaced, never written in place: a copy made with hard links keeps its own.
  rename_path(tmp, path);
}

std::optional<ArtifactOwner> read_owner(const std::string& dir) {
  const std::string path = join_path(dir, kOwnerFile);
  if (!path_exists(path)) return std::nullopt;
  ArtifactOwner owner;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const auto marker = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!marker.is_object()) return owner;
  const auto string_of = [&](const char* key) {
    const auto it = marker.find(key);
    return it != marker.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  owner.database_uid = string_of("database");
  owner.database_path = string_of("database_path");
  owner.run_uid = string_of("run_uid");
  owner.config_hash = string_of("config_hash");
  const auto run = marker.find("run");
  if (run != marker.end() && run->is_number_integer()) owner.run_id = run->get<int64_t>();
  return owner;
}

std::string describe_owner(const ArtifactOwner& owner) {
  if (owner.database_uid.empty()) return "an unreadable owner.json";
  return "run " + std::to_string(owner.run_id) + " of database " + owner.database_uid.substr(0, 8) + " (" +
         owner.database_path + ")";
}

RunFolderRecord run_folder_record(Database& db, int64_t run_id) {
  auto stmt = db.prepare(
      "SELECT uid, config_hash, coalesce(artifact_dir, ''), coalesce(checkpoint, '') FROM runs WHERE id = ?");
  stmt.bind(1, run_id);
  if (!stmt.step()) throw InputError("no run with id " + std::to_string(run_id) + " in " + db.path());
  return {run_id, stmt.get_text(0), stmt.get_text(1), stmt.get_text(2), stmt.get_text(3)};
}

namespace {

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

ArtifactOwnership::ArtifactOwnership(Database& db) : me_(database_identity(db)) {}

bool ArtifactOwnership::names_this_database(const ArtifactOwner& owner) const {
  if (me_.uid.empty() || owner.database_uid != me_.uid) return false;
  // The same file only: a copy holds the uid too, and so does every copy of a file that
  // was moved away, so a path that is gone proves nothing.
  struct stat mine {}, theirs {};
  return ::stat(owner.database_path.c_str(), &theirs) == 0 && ::stat(me_.path.c_str(), &mine) == 0 &&
         same_file(mine, theirs);
}

FolderStanding ArtifactOwnership::standing(const std::string& dir, const RunFolderRecord& run,
                                           std::optional<ArtifactOwner>* owner) {
  struct stat info {};
  if (dir.empty() || ::lstat(dir.c_str(), &info) != 0) return FolderStanding::Missing;
  if (!S_ISDIR(info.st_mode)) return FolderStanding::Foreign;
  const auto marker = read_owner(dir);
  if (owner) *owner = marker;
  if (!marker) return FolderStanding::Unmarked;
  if (marker->database_uid.empty() || marker->run_uid != run.uid || marker->config_hash != run.config_hash)
    return FolderStanding::Foreign;
  if (names_this_database(*marker)) return FolderStanding::Own;
  struct stat file {};
  if (marker->database_uid == me_.uid && ::stat(marker->database_path.c_str(), &file) != 0 &&
      (errno == ENOENT || errno == ENOTDIR))
    return FolderStanding::Unproven;
  return FolderStanding::SameRun;
}

ArtifactOwner ArtifactOwnership::marker_for(const RunFolderRecord& run) const {
  return {me_.uid, me_.path, run.id, run.uid, run.config_hash};
}

bool is_inside(const std::string& path, const std::string& root) {
  const std::string p = absolute_path(path), r = absolute_path(root);
  return p.size() > r.size() && p.compare(0, r.size(), r) == 0 && (r == "/" || p[r.size()] == '/');
}

void rebase_run_folder(Database& db, int64_t run_id, const std::string& from, const std::string& to,
                       bool keep_checkpoint) {
  const int64_t keep = keep_checkpoint && !from.empty() ? 1 : 0;
  // ?1 to, ?2 from, ?3 run, ?4 whether paths inside `from` move to `to`. SET sees the old row.
  const auto in_from = [](const std::string& column) {
    return "substr(" + column + ", 1, length(?2) + 1) = ?2 || '/'";
  };
  db.prepare("UPDATE runs SET artifact_dir = ?1, "
             "checkpoint = CASE WHEN ?4 AND " + in_from("checkpoint") + " THEN ?1 || substr(checkpoint, length(?2) + 1) END, "
             "checkpoint_epoch = CASE WHEN ?4 AND " + in_from("checkpoint") + " THEN checkpoint_epoch END WHERE id = ?3")
      .bind(1, to).bind(2, from).bind(3, run_id).bind(4, keep).run();
  db.prepare("UPDATE artifacts SET path = ?1 || substr(path, length(?2) + 1) WHERE run_id = ?3 AND ?4 AND " +
             in_from("path"))
      .bind(1, to).bind(2, from).bind(3, run_id).bind(4, keep).run();
  db.prepare("DELETE FROM artifacts WHERE run_id = ?3 AND kind = 'checkpoint' AND NOT (?4 AND "
             "substr(path, 1, length(?1) + 1) = ?1 || '/')")
      .bind(1, to).bind(3, run_id).bind(4, keep).run();
}

std::string free_run_folder(ArtifactOwnership& ownership, const RunFolderRecord& run, const std::string& root,
                            std::string* taken) {
  const std::string base = join_path(root, "run-" + std::to_string(run.id));
  for (const std::string& dir : {base, base + "-" + run.uid.substr(0, 8), base + "-" + run.uid}) {
    const FolderStanding standing = ownership.standing(dir, run);
    if (standing == FolderStanding::Missing || standing == FolderStanding::Own) return dir;
    if (taken && taken->empty()) *taken = dir;
  }
  throw RuntimeFailure(base + ": it and the names after it hold other runs' files; no folder for run " +
                       std::to_string(run.id));
}

FolderClaim claim_run_folder(ArtifactOwnership& ownership, const RunFolderRecord& run, const std::string& root) {
  FolderClaim claim;
  claim.standing = ownership.standing(run.artifact_dir, run, &claim.owner);
  switch (claim.standing) {
    case FolderStanding::Missing: break;
    case FolderStanding::Own: claim.own = true; break;
    case FolderStanding::Unmarked: {
      // From before markers: the run's own when this database recorded its checkpoint
      // there, inside its own folder; a folder without that could be a deleted
      // database's at the same path.
      const bool recorded = !run.checkpoint.empty() && is_inside(run.checkpoint, run.artifact_dir);
      if (recorded && is_inside(run.artifact_dir, root)) {
        claim.own = true;
      } else if (recorded) {
        claim.same_run = true;
        claim.why_not = "has no owner.json and lies outside " + root;
      } else {
        claim.why_not = "has no owner.json and no checkpoint this database recorded for the run";
      }
      break;
    }
    case FolderStanding::SameRun:
      claim.same_run = true;
      claim.why_not = "belongs to " + describe_owner(*claim.owner);
      break;
    case FolderStanding::Unproven:
      claim.same_run = true;
      claim.why_not = "was marked by " + claim.owner->database_path +
                      ", which is gone: a moved database and its copies hold its uid alike, so it is none's own";
      break;
    case FolderStanding::Foreign:
      claim.why_not = !claim.owner                        ? "is not a folder"
                      : claim.owner->database_uid.empty() ? "has an owner.json that cannot be read"
                                                          : "holds " + describe_owner(*claim.owner);
      break;
  }
  return claim;
}

RunFolder prepare_run_folder(Database& db, ArtifactOwnership& ownership, int64_t run_id, const std::string& root) {
  const RunFolderRecord run = run_folder_record(db, run_id);
  const FolderClaim claim = claim_run_folder(ownership, run, root);
  if (claim.own) {
    // A marker written anew: from before markers, or a database reached by another path
    // to the same file (a hard link).
    if (!claim.owner || claim.owner->database_path != ownership.identity().path)
      write_owner(run.artifact_dir, ownership.marker_for(run));
    return {run.artifact_dir, ""};
  }
  const FolderStanding standing = claim.standing;
  const bool copy = claim.same_run;
  std::string reason;  // why the recorded folder is not used
  if (!copy && !claim.why_not.empty()) reason = run.artifact_dir + " " + claim.why_not;
  if (standing == FolderStanding::Missing && !run.checkpoint.empty())
    reason = run.artifact_dir + " (its checkpoint folder) is gone";

  std::string taken;
  const std::string dir = free_run_folder(ownership, run, root, &taken);
  const auto rebase = [&](bool keep_checkpoint) {
    Transaction tx(db);
    rebase_run_folder(db, run.id, run.artifact_dir, dir, keep_checkpoint);
    tx.commit();
  };
  if (copy) {
    if (path_exists(dir)) {
      // Its own folder from an earlier attempt (a copy made, the record not yet moved):
      // continue there, from the checkpoint the copy holds.
      rebase(path_exists(join_path(dir, "latest")));
      return {dir, "its checkpoint folder " + run.artifact_dir + " " + claim.why_not + "; continuing in its own " + dir};
    }
    copy_tree(run.artifact_dir, dir);
    write_owner(dir, ownership.marker_for(run));
    rebase(true);
    return {dir, "its checkpoint folder " + run.artifact_dir + " " + claim.why_not +
                     "; continuing from a copy in " + dir + " (that folder is left as it is)"};
  }
  if (reason.empty() && !taken.empty()) {
    RunFolderRecord at_taken = run;
    at_taken.artifact_dir = taken;
    at_taken.checkpoint.clear();  // nothing recorded there: what it holds is not adopted
    reason = taken + " " + claim_run_folder(ownership, at_taken, root).why_not;
  }
  if (ownership.standing(dir, run) != FolderStanding::Own) write_owner(dir, ownership.marker_for(run));
  // A recorded checkpoint that is not continued from is forgotten (a gone folder's too).
  if (dir != run.artifact_dir || !run.checkpoint.empty()) rebase(false);
  if (reason.empty()) return {dir, ""};
  if (standing == FolderStanding::Missing && !run.checkpoint.empty())
    return {dir, reason + ": training from scratch in " + dir};
  return {dir, reason + "; not used (left as it is): training from scratch in " + dir};
}

}  // namespace torchsweep
