#include "spec/override_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "spec/spec.h"

namespace torchsweep {

namespace {

using Shape = Override::Shape;

[[noreturn]] void fail(const FunctionCall& call, const Mark& at, const std::string& what) {
  throw SpecError(at, call.key, what);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

const std::string& int64_range() {
  static const std::string text = std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                                  std::to_string(std::numeric_limits<int64_t>::max());
  return text;
}

double number_argument(const FunctionCall& call, const FunctionArgument& arg) {
  if (!arg.value.is_number()) fail(call, arg.mark, call.name + "(...) expects numbers, got " + arg.value.describe());
  if (!std::isfinite(arg.value.as_double()))
    fail(call, arg.mark, call.name + "(...) expects finite numbers, got " + arg.value.describe());
  return arg.value.as_double();
}

/// Arguments by position or by name, in the order `names` gives.
std::vector<const FunctionArgument*> bind(const FunctionCall& call, const std::vector<std::string>& names,
                                          size_t required) {
  std::vector<const FunctionArgument*> bound(names.size(), nullptr);
  size_t next = 0;
  for (const auto& arg : call.args) {
    size_t slot = next;
    if (!arg.name.empty()) {
      slot = static_cast<size_t>(std::find(names.begin(), names.end(), arg.name) - names.begin());
      if (slot == names.size())
        fail(call, arg.mark, call.name + "(...) has no argument '" + arg.name + "', expected " + join_names(names));
    } else if (next >= names.size()) {
      fail(call, arg.mark,
           call.name + "(...) takes at most " + std::to_string(names.size()) + " arguments (" + join_names(names) + ")");
    }
    if (bound[slot]) fail(call, arg.mark, call.name + "(...): '" + names[slot] + "' is given twice");
    bound[slot] = &arg;
    next = slot + 1;
  }
  for (size_t i = 0; i < required; ++i)
    if (!bound[i]) fail(call, call.mark, call.name + "(...) needs " + join_names({names.begin(), names.begin() + required}));
  return bound;
}

SpecNode distribution(const std::string& kind, double low, double high, const Mark& mark) {
  SpecNode node = SpecNode::map(mark);
  node.set("distribution", SpecNode::string(kind, mark), mark);
  node.set("low", SpecNode::floating(low, mark), mark);
  node.set("high", SpecNode::floating(high, mark), mark);
  return node;
}

[[noreturn]] void too_many_values(const FunctionCall& call, const std::string& count) {
  fail(call, call.mark,
       "range(...) has " + count + " values, expected at most " + std::to_string(kMaxRunsPerSweep));
}

/// range(stop) or range(start, stop[, step]), as Python's, with floats allowed. Integers
/// are counted in 64-bit arithmetic, exactly even at the ends of the range.
FunctionResult range(const FunctionCall& call) {
  const auto& args = call.args;
  const auto bound = args.size() == 1 && args[0].name.empty()
                         ? std::vector<const FunctionArgument*>{nullptr, &args[0], nullptr}
                         : bind(call, {"start", "stop", "step"}, 2);
  for (const auto* arg : bound)
    if (arg) number_argument(call, *arg);
  const bool all_int = std::all_of(bound.begin(), bound.end(), [](const FunctionArgument* a) {
    return !a || a->value.kind() == SpecNode::Kind::Int;
  });
  FunctionResult result{SpecNode::list(call.mark), Shape::Sweep};
  auto empty = [&]() {
    fail(call, call.mark, "range(...) is empty: no value from " + bound[1]->value.describe() + " on");
  };
  if (all_int) {
    const int64_t start = bound[0] ? bound[0]->value.as_int() : 0;
    const int64_t stop = bound[1]->value.as_int();
    const int64_t step = bound[2] ? bound[2]->value.as_int() : 1;
    if (step == 0) fail(call, bound[2]->mark, "range(...) needs a step other than 0");
    if (step > 0 ? stop <= start : stop >= start) empty();
    // The distance and the step as unsigned numbers: both fit, whatever the signs.
    const uint64_t span = step > 0 ? static_cast<uint64_t>(stop) - static_cast<uint64_t>(start)
                                   : static_cast<uint64_t>(start) - static_cast<uint64_t>(stop);
    const uint64_t stride = step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
    const uint64_t count = span / stride + (span % stride != 0 ? 1 : 0);
    if (count > kMaxRunsPerSweep) too_many_values(call, std::to_string(count));
    int64_t value = start;  // every value lies between start and stop, so none overflows
    for (uint64_t i = 0; i < count; ++i) {
      result.value.push_back(SpecNode::integer(value, call.mark));
      if (i + 1 < count) value += step;
    }
    return result;
  }
  const double start = bound[0] ? bound[0]->value.as_double() : 0.0;
  const double stop = bound[1]->value.as_double();
  const double step = bound[2] ? bound[2]->value.as_double() : 1.0;
  if (step == 0) fail(call, bound[2]->mark, "range(...) needs a step other than 0");
  const double count = std::ceil((stop - start) / step);
  if (!(count >= 1)) empty();
  if (count > static_cast<double>(kMaxRunsPerSweep)) {
    std::ostringstream about;  // too large for an integer type: shown as a float
    if (std::isfinite(count)) about << "about " << count;
    else about << "more than " << std::numeric_limits<double>::max();
    too_many_values(call, about.str());
  }
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i)
    result.value.push_back(SpecNode::floating(start + static_cast<double>(i) * step, call.mark));
  return result;
}

FunctionResult choice(const FunctionCall& call) {
  if (call.args.empty()) fail(call, call.mark, "choice(...) needs at least one value");
  FunctionResult result{SpecNode::list(call.mark), Shape::Sweep};
  for (const auto& arg : call.args) {
    if (!arg.name.empty()) fail(call, arg.mark, "choice(...) takes values, not named arguments");
    result.value.push_back(arg.value);
  }
  return result;
}

FunctionResult interval(const FunctionCall& call) {
  const auto bound = bind(call, {"start", "end"}, 2);
  const double low = number_argument(call, *bound[0]), high = number_argument(call, *bound[1]);
  if (!(high > low)) fail(call, bound[1]->mark, "interval(lo, hi) needs hi > lo, got " + bound[1]->value.describe());
  return {distribution("uniform", low, high, call.mark), Shape::Distribution};
}

/// tag(t1, ..., interval(lo, hi)): only the tag `log` changes anything.
FunctionResult tag(const FunctionCall& call) {
  const auto& args = call.args;
  if (args.empty() || args.back().call_name != "interval")
    fail(call, call.mark, "tag(...) applies to interval(lo, hi): write tag(log, interval(lo, hi))");
  bool log = false;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    const auto& name = args[i].value;
    if (args[i].call || name.kind() != SpecNode::Kind::String || name.as_string() != "log")
      fail(call, args[i].mark, "unknown tag " + name.describe() + ", expected log (log-uniform draws)");
    log = true;
  }
  SpecNode drawn = args.back().value;
  if (log) {
    if (drawn.find("low")->as_double() <= 0)
      fail(call, args.back().mark, "tag(log, interval(lo, hi)) needs lo > 0, got " + drawn.find("low")->describe());
    drawn.set("distribution", SpecNode::string("log_uniform", call.mark), call.mark);
  }
  drawn.set_mark(call.mark);
  return {std::move(drawn), Shape::Distribution};
}

/// sort(a, b, c), sort([list]), sort(choice(...)) or sort(range(...)), with reverse=true.
FunctionResult sort(const FunctionCall& call) {
  const auto& args = call.args;
  bool reverse = false;
  std::vector<SpecNode> items;
  bool sweep = true;
  for (const auto& arg : args) {
    if (arg.name == "reverse") {
      if (arg.value.kind() != SpecNode::Kind::Bool)
        fail(call, arg.mark, "sort(...): reverse is true or false, got " + arg.value.describe());
      reverse = arg.value.as_bool();
    } else if (!arg.name.empty()) {
      fail(call, arg.mark, "sort(...) has no argument '" + arg.name + "', expected values and reverse");
    } else if (arg.call) {
      if (*arg.call != Shape::Sweep)
        fail(call, arg.mark, "sort(...) sorts a sweep or a list, not " + arg.call_name + "(...)");
      items.insert(items.end(), arg.value.items().begin(), arg.value.items().end());
    } else if (args.size() == 1 && arg.value.is_list()) {
      items = arg.value.items();
      sweep = false;  // sort([3,1,2]) is the list [1,2,3], a value
    } else {
      items.push_back(arg.value);
    }
  }
  if (items.empty()) fail(call, call.mark, "sort(...) needs values to sort");
  const bool numbers = std::all_of(items.begin(), items.end(), [](const SpecNode& v) { return v.is_number(); });
  const bool strings =
      std::all_of(items.begin(), items.end(), [](const SpecNode& v) { return v.kind() == SpecNode::Kind::String; });
  if (!numbers && !strings) fail(call, call.mark, "sort(...) sorts numbers or strings, not a mix or other values");
  std::stable_sort(items.begin(), items.end(), [&](const SpecNode& a, const SpecNode& b) {
    const bool less = numbers ? a.as_double() < b.as_double() : a.as_string() < b.as_string();
    const bool more = numbers ? b.as_double() < a.as_double() : b.as_string() < a.as_string();
    return reverse ? more : less;
  });
  FunctionResult result{SpecNode::list(call.mark), sweep ? Shape::Sweep : Shape::Value};
  for (auto& item : items) result.value.push_back(std::move(item));
  return result;
}

/// One value cast to `type`; lists and dicts element by element. `at` is the argument's
/// mark, for errors.
SpecNode cast(const FunctionCall& call, const SpecNode& v, const Mark& at) {
  const std::string& type = call.name;
  const Mark& mark = v.mark();
  if (v.is_list()) {
    SpecNode list = SpecNode::list(mark);
    for (const auto& item : v.items()) list.push_back(cast(call, item, at));
    return list;
  }
  if (v.is_map()) {
    SpecNode map = SpecNode::map(mark);
    for (const auto& e : v.entries()) map.entries().push_back({e.key, e.key_mark, cast(call, e.value, at)});
    return map;
  }
  auto refuse = [&](const std::string& why) -> SpecNode { fail(call, at, "cannot cast " + v.describe() + " to " + type + why); };
  if (type == "str") {
    switch (v.kind()) {
      case SpecNode::Kind::String: return v;
      case SpecNode::Kind::Int: return SpecNode::string(std::to_string(v.as_int()), mark);
      case SpecNode::Kind::Float: return SpecNode::string(nlohmann::json(v.as_double()).dump(), mark);
      case SpecNode::Kind::Bool: return SpecNode::string(v.as_bool() ? "true" : "false", mark);
      default: return refuse("");
    }
  }
  // The other casts read a string as the grammar reads unquoted text.
  const SpecNode parsed = v.kind() == SpecNode::Kind::String ? parse_override_primitive(v.as_string(), mark) : v;
  if (type == "int") {
    if (parsed.kind() == SpecNode::Kind::Int) return parsed;
    if (parsed.kind() == SpecNode::Kind::Float && std::isfinite(parsed.as_double())) {
      // -2^63 is a double exactly, and so is 2^63, the first value past the largest int64.
      const double d = parsed.as_double();
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return SpecNode::integer(static_cast<int64_t>(d), mark);
      return refuse(", which takes integers from " + int64_range());
    }
    if (parsed.kind() == SpecNode::Kind::Bool) return SpecNode::integer(parsed.as_bool() ? 1 : 0, mark);
    return refuse("");
  }
  if (type == "float") {
    if (parsed.is_number()) return SpecNode::floating(parsed.as_double(), mark);
    if (parsed.kind() == SpecNode::Kind::Bool) return SpecNode::floating(parsed.as_bool() ? 1.0 : 0.0, mark);
    return refuse("");
  }
  if (parsed.kind() == SpecNode::Kind::Bool) return parsed;  // bool
  if (parsed.is_number()) return SpecNode::boolean(parsed.as_double() != 0, mark);
  return refuse("");
}

/// str(x), int(x), float(x), bool(x): of a value or of each value of a sweep.
FunctionResult cast_call(const FunctionCall& call) {
  const auto& args = call.args;
  if (args.empty()) fail(call, call.mark, call.name + "(...) needs a value");
  for (const auto& arg : args)
    if (!arg.name.empty()) fail(call, arg.mark, call.name + "(...) takes values, not named arguments");
  if (args.size() == 1 && !args[0].call) return {cast(call, args[0].value, args[0].mark), Shape::Value};
  // A sweep: str(1, 2) or str(choice(1, 2)).
  FunctionResult result{SpecNode::list(call.mark), Shape::Sweep};
  for (const auto& arg : args) {
    if (arg.call && *arg.call != Shape::Sweep)
      fail(call, arg.mark, call.name + "(...) casts values or a sweep, not " + arg.call_name + "(...)");
    if (arg.call)
      for (const auto& v : arg.value.items()) result.value.push_back(cast(call, v, arg.mark));
    else
      result.value.push_back(cast(call, arg.value, arg.mark));
  }
  return result;
}

}  // namespace

const std::vector<std::string>& override_functions() {
  static const std::vector<std::string> names = {"range", "choice", "interval", "tag", "sort",
                                                  "str",   "int",    "float",    "bool"};
  return names;
}

bool takes_calls(const std::string& name) { return name != "range" && name != "choice" && name != "interval"; }

FunctionResult call_override_function(const FunctionCall& call) {
  const std::string& name = call.name;
  if (name == "range") return range(call);
  if (name == "choice") return choice(call);
  if (name == "interval") return interval(call);
  if (name == "tag") return tag(call);
  if (name == "sort") return sort(call);
  if (name == "str" || name == "int" || name == "float" || name == "bool") return cast_call(call);
  fail(call, call.mark,
       "unknown function '" + name + "', expected one of " + join_names(override_functions()) +
           " (quote the value if it is text)");
}

}  // namespace torchsweep
