// Command-line overrides applied to the spec tree before validation, with Hydra's
// meanings (the grammar is spec/override_parser.h):
//   key=value      set (creating the key when the spec does not have it); a {dict}
//                  merges into the section there
//   key=a,b,c      a sweep, as key=[a,b,c], choice(a,b,c) and range(...) are
//   key=interval(lo, hi), key=tag(log, interval(lo, hi))
//                  a distribution for the random mode: it becomes
//                  sweep.parameters."key", replacing the key's own value
//   +key=value     add a key that must not exist yet
//   ++key=value    set, whether or not the key exists
//   ~key           remove a key that exists; ~key=value only when it has that value
// A value given for a key also replaces a sweep of that key under sweep.parameters.
#pragma once

#include <string>
#include <vector>

#include "base/spec_node.h"
#include "spec/override_parser.h"

namespace torchsweep {

/// Applies overrides in order; errors name the override at fault and its column.
void apply_overrides(SpecNode& root, const std::vector<std::string>& overrides);

}  // namespace torchsweep
