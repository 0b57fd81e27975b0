#include "base/error_list.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace torchsweep {

namespace {

bool same_place(const Mark& a, const Mark& b) {
  return a.origin == b.origin && a.line == b.line && a.column == b.column;
}

/// The errors in the order a reader meets them: the spec file's (and any other
/// file's) first, by line and column, then each override's in the order they were
/// first reported (which is the command line's).
std::vector<SpecError> by_position(std::vector<SpecError> errors) {
  std::map<std::string, size_t> rank;
  for (const auto& e : errors) {
    const std::string& origin = e.mark().origin;
    if (!rank.count(origin)) {
      const bool override_text = origin.rfind("override ", 0) == 0;
      rank.emplace(origin, (override_text ? errors.size() : 0) + rank.size());
    }
  }
  std::stable_sort(errors.begin(), errors.end(), [&](const SpecError& a, const SpecError& b) {
    return std::make_tuple(rank[a.mark().origin], a.mark().line, a.mark().column) <
           std::make_tuple(rank[b.mark().origin], b.mark().line, b.mark().column);
  });
  return errors;
}

std::string lines_of(const std::vector<SpecError>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "\n") + std::string(e.what());
  return out;
}

}  // namespace

SpecErrors::SpecErrors(std::vector<SpecError> errors) : SpecErrors(Sorted{}, by_position(std::move(errors))) {}

SpecErrors::SpecErrors(Sorted, std::vector<SpecError> sorted) : InputError(lines_of(sorted)), errors_(std::move(sorted)) {}

void ErrorList::add(const SpecError& error) {
  for (const auto& kept : errors_)
    if (std::string(kept.what()) == error.what()) return;
  errors_.push_back(error);
}

void ErrorList::add_unless_reported(const SpecError& error) {
  for (const auto& kept : errors_)
    if (same_place(kept.mark(), error.mark()) && kept.key() == error.key()) return;
  errors_.push_back(error);
}

void ErrorList::rename_keys(const std::function<std::string(const std::string&)>& rename) {
  for (auto& e : errors_) e = SpecError(e.mark(), rename(e.key()), e.detail());
}

void ErrorList::throw_if_any() const {
  if (errors_.empty()) return;
  if (errors_.size() == 1) throw errors_.front();
  throw SpecErrors(errors_);
}

}  // namespace torchsweep
