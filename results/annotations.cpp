#include "results/annotations.h"

#include "base/error.h"
#include "base/utf8.h"

namespace torchsweep {

namespace {

void check_runs_exist(Database& db, const std::vector<int64_t>& run_ids) {
  auto stmt = db.prepare("SELECT 1 FROM runs WHERE id = ?");
  for (const auto id : run_ids) {
    stmt.bind(1, id);
    const bool found = stmt.step();
    stmt.reset();
    if (!found) throw InputError("no run with id " + std::to_string(id) + " in " + db.path());
  }
}

}  // namespace

namespace {

/// InputError naming `what` when the text is not UTF-8: the database keeps text as
/// UTF-8, and specs are refused for the same bytes.
void check_utf8(const std::string& what, const std::string& text) {
  const auto bad = first_invalid_utf8(text);
  if (!bad) return;
  std::string shown = escape_invalid_utf8(text);
  if (character_count(shown) > 60) shown = first_characters(shown, 57) + "...";
  throw InputError(what + " \"" + shown + "\": " + invalid_utf8_at(text, *bad) + " at character " +
                   std::to_string(character_count(text.substr(0, *bad)) + 1) + "; expected UTF-8 text");
}

}  // namespace

void check_note(const std::string& note) { check_utf8("--note", note); }

void check_tag(const std::string& tag) {
  if (tag.empty()) throw InputError("a tag cannot be empty");
  check_utf8("tag", tag);
  if (tag.size() > 100) throw InputError("tag \"" + tag.substr(0, 40) + "...\" is longer than 100 characters");
  for (const unsigned char c : tag)
    if (c == ',' || c == ' ' || c < 0x20 || c == 0x7f)
      throw InputError("tag \"" + tag + "\": expected no commas, spaces or control characters");
}

void tag_runs(Database& db, const std::vector<int64_t>& run_ids, const std::vector<std::string>& add,
              const std::vector<std::string>& remove) {
  for (const auto& tag : add) check_tag(tag);
  Transaction tx(db);
  check_runs_exist(db, run_ids);
  auto insert = db.prepare("INSERT OR IGNORE INTO run_tags(run_id, tag) VALUES (?, ?)");
  auto erase = db.prepare("DELETE FROM run_tags WHERE run_id = ? AND tag = ?");
  for (const auto id : run_ids) {
    for (const auto& tag : add) insert.bind(1, id).bind(2, tag).run();
    for (const auto& tag : remove) erase.bind(1, id).bind(2, tag).run();
  }
  tx.commit();
}

void set_note(Database& db, int64_t run_id, const std::string& note) {
  check_note(note);
  Transaction tx(db);
  check_runs_exist(db, {run_id});
  db.prepare("UPDATE runs SET note = ? WHERE id = ?")
      .bind(1, note.empty() ? SqlValue(nullptr) : SqlValue(note))
      .bind(2, run_id)
      .run();
  tx.commit();
}

std::vector<std::string> tags_of(Database& db, int64_t run_id) {
  std::vector<std::string> out;
  auto stmt = db.prepare("SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag");
  stmt.bind(1, run_id);
  while (stmt.step()) out.push_back(stmt.get_text(0));
  return out;
}

}  // namespace torchsweep
