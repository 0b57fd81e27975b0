#include "sweep/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "spec/fields.h"

namespace torchsweep {

namespace {

const std::vector<std::string>& kinds() {
  static const std::vector<std::string> names = {"uniform", "log_uniform", "int_uniform", "choice"};
  return names;
}

double bound(const SpecNode& map, const std::string& name, const std::string& key) {
  const SpecNode* value = map.find(name);
  if (!value) throw SpecError(map.mark(), key, "expected a '" + name + "' bound for this distribution");
  if (!value->is_number() || !std::isfinite(value->as_double()))
    throw SpecError(value->mark(), key + "." + name, "expected a finite number, got " + value->describe());
  return value->as_double();
}

}  // namespace

bool is_distribution(const SpecNode& node) { return node.is_map(); }

double distinct_values(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::Choice: {
      std::set<std::string> values;
      for (const auto& choice : d.choices) values.insert(to_json(choice).dump());
      return static_cast<double>(values.size());
    }
    case Distribution::Kind::IntUniform:
      return d.high - d.low + 1;
    default:
      return std::numeric_limits<double>::infinity();
  }
}

Distribution choice_of(const SpecNode& list) {
  Distribution d;
  d.kind = Distribution::Kind::Choice;
  d.choices = list.items();
  d.mark = list.mark();
  return d;
}

Distribution parse_distribution(const SpecNode& node, const std::string& key) {
  if (!node.is_map())
    throw SpecError(node.mark(), key,
                    "expected a list of values or a distribution such as {distribution: log_uniform, low: 0.001, "
                    "high: 0.1}, got " + node.describe());
  const SpecNode* kind = node.find("distribution");
  if (!kind) throw SpecError(node.mark(), key, "expected a 'distribution' key: one of " + join(kinds()));
  if (kind->kind() != SpecNode::Kind::String)
    throw SpecError(kind->mark(), key + ".distribution", "expected one of " + join(kinds()) + ", got " + kind->describe());
  const std::string name = kind->as_string();
  Distribution d;
  d.mark = node.mark();
  const std::vector<std::string> allowed =
      name == "choice" ? std::vector<std::string>{"distribution", "values"}
                       : std::vector<std::string>{"distribution", "low", "high"};
  if (name == "uniform") d.kind = Distribution::Kind::Uniform;
  else if (name == "log_uniform") d.kind = Distribution::Kind::LogUniform;
  else if (name == "int_uniform") d.kind = Distribution::Kind::IntUniform;
  else if (name == "choice") d.kind = Distribution::Kind::Choice;
  else {
    const std::string near = closest_match(name, kinds());
    throw SpecError(kind->mark(), key + ".distribution",
                    "expected one of " + join(kinds()) + ", got \"" + name + "\"" +
                        (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  for (const auto& entry : node.entries())
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end())
      throw SpecError(entry.key_mark, key + "." + entry.key,
                      "unknown key for a " + name + " distribution, expected " + join(allowed));
  if (d.kind == Distribution::Kind::Choice) {
    const SpecNode* values = node.find("values");
    if (!values || !values->is_list() || values->items().empty())
      throw SpecError(values ? values->mark() : node.mark(), key + ".values",
                      "expected a non-empty list of values to choose from" +
                          (values ? ", got " + values->describe() : std::string()));
    d.choices = values->items();
    return d;
  }
  d.low = bound(node, "low", key);
  d.high = bound(node, "high", key);
  const SpecNode& high_node = *node.find("high");
  if (d.kind == Distribution::Kind::IntUniform) {
    if (d.low != std::floor(d.low) || d.high != std::floor(d.high))
      throw SpecError(high_node.mark(), key, "int_uniform expects integer bounds, got [" + node.find("low")->describe() +
                                                 ", " + high_node.describe() + "]");
    if (d.high < d.low)
      throw SpecError(high_node.mark(), key + ".high",
                      "expected high >= low (" + node.find("low")->describe() + "), got " + high_node.describe());
  } else if (!(d.high > d.low)) {
    throw SpecError(high_node.mark(), key + ".high",
                    "expected high > low (" + node.find("low")->describe() + "), got " + high_node.describe());
  }
  if (d.kind == Distribution::Kind::LogUniform && d.low <= 0)
    throw SpecError(node.find("low")->mark(), key + ".low",
                    "log_uniform needs a positive low bound, got " + node.find("low")->describe());
  return d;
}

double Sampler::unit() {
  // The top 53 bits of one 64-bit draw, scaled: every double in [0, 1) on a 2^-53 grid.
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

SpecNode Sampler::draw(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::Uniform:
      return SpecNode::floating(d.low + (d.high - d.low) * unit(), d.mark);
    case Distribution::Kind::LogUniform:
      return SpecNode::floating(std::exp(std::log(d.low) + (std::log(d.high) - std::log(d.low)) * unit()), d.mark);
    case Distribution::Kind::IntUniform: {
      const auto span = static_cast<uint64_t>(d.high - d.low) + 1;
      // Scaling a 53-bit uniform: the bias is below 2^-40 for any span a sweep uses.
      const auto offset = static_cast<uint64_t>(unit() * static_cast<double>(span));
      return SpecNode::integer(static_cast<int64_t>(d.low) + static_cast<int64_t>(std::min(offset, span - 1)), d.mark);
    }
    case Distribution::Kind::Choice:
      break;
  }
  const auto n = d.choices.size();
  const auto i = std::min(static_cast<size_t>(unit() * static_cast<double>(n)), n - 1);
  return d.choices[i];
}

}  // namespace torchsweep
