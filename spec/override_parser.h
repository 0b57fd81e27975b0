// The command-line override grammar, Hydra's, parsed by torchsweep itself (not as
// YAML, whose rules for `%`, `*`, `@`, `- ` and backslashes surprise, and which
// stops at the first complete value and drops the rest). docs/spec.md gives it:
//
//   override  := key '=' value? | '+' key '=' value? | '++' key '=' value?
//              | '~' key ('=' value?)?
//   key       := part ('.' part)*        part: [A-Za-z0-9_/-]+ or a "quoted" part
//   value     := element | element (',' element)+           a comma list sweeps
//              | range(start, stop[, step]) | choice(e, ...) | interval(lo, hi)
//              | tag(log, interval(lo, hi))
//   element   := primitive | '[' elements? ']' | '{' key ':' element, ... '}'
//   primitive := a quoted string | unquoted text: an int (1_000), a float (1e-3, .5,
//                inf, nan), true/false, null, else a string (trimmed; \, \= \[ ...
//                escape the grammar's characters)
//
// Anything left over after a value is an error at its column.
#pragma once

#include <string>
#include <vector>

#include "base/spec_node.h"

namespace torchsweep {

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
/// fit the grammar.
Override parse_override(const std::string& text);

/// Where an override's text is, for errors: "override 'TEXT'", line 1, `column`.
Mark override_mark(const std::string& text, int column);

}  // namespace torchsweep
