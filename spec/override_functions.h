// The function library of the override grammar (spec/override_parser.h), Hydra's:
//   range(start, stop[, step])     a sweep of numbers, as Python's range (floats too)
//   choice(a, b, ...)              a sweep of the values given
//   interval(lo, hi)               a uniform distribution for the random mode
//   tag(log, interval(lo, hi))     the same, log-uniform
//   sort(...)                      values, a list or a sweep, sorted (reverse=true)
//   str(x) int(x) float(x) bool(x) casts of a value, a list or dict element by element,
//                                  or of each value of a sweep
// The grammar reads a call's arguments; these functions turn them into a value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/spec_node.h"
#include "spec/override_parser.h"

namespace torchsweep {

/// One argument of a call, as the grammar read it.
struct FunctionArgument {
  std::string name;  ///< "" when given by position
  SpecNode value;
  Mark mark;  ///< where the argument starts, for errors
  /// Set when the argument is itself a call (sort(range(...))): the shape it gave.
  std::optional<Override::Shape> call;
  std::string call_name;  ///< that call's function
};

/// A call, as the grammar read it.
struct FunctionCall {
  std::string name;
  Mark mark;        ///< where the function's name starts; the values it makes carry it
  std::string key;  ///< the override's key, for errors
  std::vector<FunctionArgument> args;
};

/// What a call gives: a value, a sweep (a list of values) or a distribution.
struct FunctionResult {
  SpecNode value;
  Override::Shape shape = Override::Shape::Value;
};

/// The functions an override may call, in the order messages list them.
const std::vector<std::string>& override_functions();

/// Whether `name` takes another call as an argument (tag, sort and the casts do;
/// range, choice and interval take plain values only).
bool takes_calls(const std::string& name);

/// Applies the call; SpecError at the argument at fault (or at the call).
FunctionResult call_override_function(const FunctionCall& call);

}  // namespace torchsweep
