// Command-line overrides in Hydra's grammar, applied to the spec tree before validation:
//   key=value     set (creating the key when the spec does not have it)
//   key=[a,b]     a list: sweeps where a single value is expected
//   +key=value    add a key that must not exist yet
//   ++key=value   set, whether or not the key exists
//   ~key          remove a key that exists
// Values are YAML flow values (numbers, strings, true/false, null, [lists], {maps}).
#pragma once

#include <string>
#include <vector>

#include "base/spec_node.h"

namespace torchsweep {

struct Override {
  enum class Op { Set, Add, ForceSet, Remove };
  Op op = Op::Set;
  std::vector<std::string> path;  ///< "optimizer.lr" → {"optimizer", "lr"}
  std::string key;                ///< the dotted key as written
  std::string text;               ///< the whole override, for messages
  SpecNode value;                 ///< absent for Remove
};

/// Parses one override; SpecError naming the override when it is malformed.
Override parse_override(const std::string& text);

/// Applies overrides in order; errors name the override at fault.
void apply_overrides(SpecNode& root, const std::vector<std::string>& overrides);

}  // namespace torchsweep
