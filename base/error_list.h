// Several input errors reported at once. Validation goes on past a bad value wherever
// the checks after it do not depend on that value, so that one `validate` shows every
// mistake of a spec; a check that needs an earlier value still stops at the first.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace torchsweep {

/// Several SpecErrors as one InputError (exit 2): what() is one
/// `FILE:LINE:COL: key: message` line per error, in the order of position.
class SpecErrors : public InputError {
 public:
  explicit SpecErrors(std::vector<SpecError> errors);
  const std::vector<SpecError>& errors() const { return errors_; }

 private:
  struct Sorted {};
  SpecErrors(Sorted, std::vector<SpecError> sorted);
  std::vector<SpecError> errors_;
};

/// Collects the errors of checks that do not depend on each other.
class ErrorList {
 public:
  /// Runs `check`; a SpecError or SpecErrors it throws is kept, any other exception
  /// passes. Returns whether the check passed.
  template <class Check>
  bool attempt(Check&& check) {
    try {
      check();
      return true;
    } catch (const SpecErrors& e) {
      for (const auto& error : e.errors()) add(error);
    } catch (const SpecError& e) {
      add(e);
    }
    return false;
  }

  /// Keeps an error; one that was already kept (the same line) is not kept twice.
  void add(const SpecError& error);
  /// Keeps an error unless one already kept is about the same key at the same
  /// position: the same mistake seen again (by another run of a sweep, whose drawn
  /// values all carry their distribution's position).
  void add_unless_reported(const SpecError& error);

  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<SpecError>& errors() const { return errors_; }

  /// Gives every kept error the key `rename` returns for its own (a translated
  /// spelling back to the one the user wrote).
  void rename_keys(const std::function<std::string(const std::string&)>& rename);

  /// Throws what was kept: one error as the SpecError it is, several as SpecErrors.
  void throw_if_any() const;

 private:
  std::vector<SpecError> errors_;
};

}  // namespace torchsweep
