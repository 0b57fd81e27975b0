// The command-line override grammar, Hydra's, parsed by torchsweep itself (not as
// YAML, whose rules for `%`, `*`, `@`, `- ` and backslashes surprise, and which
// stops at the first complete value and drops the rest). docs/spec.md gives it:
//
//   override  := key '=' value? | '+' key '=' value? | '++' key '=' value?
//              | '~' key ('=' value?)?
//   key       := part ('.' part)*        part: [A-Za-z0-9_/-]+ or a "quoted" part
//   value     := element | element (',' element)+           a comma list sweeps
//              | call
//   call      := name '(' (argument (',' argument)*)? ')'   name: spec/override_functions.h
//   argument  := (name '=')? (element | call)
//   element   := primitive | '[' elements? ']' | '{' key ':' element, ... '}'
//   primitive := a quoted string | unquoted text: an int (1_000), a float (1e-3, .5,
//                inf, nan), true/false, null, else a string (trimmed; \, \= \[ ...
//                escape the grammar's characters)
//
// Anything left over after a value is an error at its column. An override is bounded
// as a spec file is (SpecLimits): at most max_file_bytes long, and its value nested at
// most max_depth levels deep, counting the key's parts, lists, dicts and calls, so that
// no input runs the parser out of stack. Parsing takes time and memory linear in the
// text: each value's mark shows at most kShownOverrideCharacters of it.
#pragma once

#include <string>
#include <vector>

#include "base/spec_node.h"
#include "spec/spec_loader.h"

namespace torchsweep {

/// How much of an override its marks show: longer ones are cut, with "...".
constexpr size_t kShownOverrideCharacters = 100;

struct Override {
  enum class Op { Set, Add, ForceSet, Remove };
  /// What the value is: one value (a literal list sweeps too, as in a spec); a sweep
  /// spelled as a comma list, choice() or range(); or a distribution to draw from
  /// (interval, tag(log, interval)), which the random mode samples.
  enum class Shape { Value, Sweep, Distribution };

  Op op = Op::Set;
  Shape shape = Shape::Value;
  /// "optimizer.lr" → {"optimizer", "lr"}. Under sweep.parameters the rest of the key
  /// is one part: sweep.parameters.optimizer.lr → {"sweep", "parameters", "optimizer.lr"}.
  std::vector<std::string> path;
  std::string key;         ///< the dotted key as written
  std::string text;        ///< the whole override, for messages
  int key_column = 1;      ///< where the key starts (1-based characters)
  bool has_value = false;  ///< false for `~key`
  /// Lists for sweeps; {distribution, low, high} for distributions.
  SpecNode value;
};

/// Parses one override; SpecError at the column of the first character that does not
/// fit the grammar or passes a limit (max_file_bytes and max_depth of `limits`).
Override parse_override(const std::string& text, const SpecLimits& limits = {});

/// Where an override's text is, for errors: "override 'TEXT'", line 1, `column`; TEXT
/// cut to kShownOverrideCharacters, invalid UTF-8 and control characters escaped.
Mark override_mark(const std::string& text, int column);

/// `text` read as unquoted text of an override is (a cast reads strings so): an int, a
/// float, a bool or null; or the string itself when it is not one such primitive.
SpecNode parse_override_primitive(const std::string& text, const Mark& mark);

}  // namespace torchsweep
