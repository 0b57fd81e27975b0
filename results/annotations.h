// What people say about runs after the fact: tags (any number per run, e.g. "best",
// "paper-fig-3") and one free-text note. Filters see them as `tags` (comma-separated,
// sorted) and `note`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.h"

namespace torchsweep {

/// Checks a tag: non-empty, UTF-8, at most 100 characters, no commas, spaces or control
/// characters (tags are listed comma-separated). InputError naming the tag otherwise.
void check_tag(const std::string& tag);

/// Adds tags to runs (a tag a run has already stays once) and removes others, in one
/// transaction. InputError for an unknown run id or a malformed tag.
void tag_runs(Database& db, const std::vector<int64_t>& run_ids, const std::vector<std::string>& add,
              const std::vector<std::string>& remove);

/// Checks a note: UTF-8 text (the database keeps text as UTF-8). InputError naming
/// --note, the byte and its place otherwise.
void check_note(const std::string& note);

/// Sets a run's note ("" clears it). InputError for an unknown run id or a note
/// check_note() refuses.
void set_note(Database& db, int64_t run_id, const std::string& note);

/// A run's tags, sorted.
std::vector<std::string> tags_of(Database& db, int64_t run_id);

}  // namespace torchsweep
