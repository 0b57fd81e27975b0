#include "sweep/search_space.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "spec/fields.h"

namespace torchsweep {

namespace {

double clamp_unit(double u) { return std::isnan(u) ? 0.5 : std::min(1.0, std::max(0.0, u)); }

/// The cell of `u` among `cells` equal ones: 0 .. cells-1.
size_t cell_of(double u, size_t cells) {
  return std::min(static_cast<size_t>(clamp_unit(u) * static_cast<double>(cells)), cells - 1);
}

double number(const nlohmann::json& value) {
  if (!value.is_number()) throw std::invalid_argument("expected a number, got " + value.dump());
  return value.get<double>();
}

const char* kind_name(Distribution::Kind kind) {
  switch (kind) {
    case Distribution::Kind::Uniform: return "uniform";
    case Distribution::Kind::LogUniform: return "log_uniform";
    case Distribution::Kind::IntUniform: return "int_uniform";
    case Distribution::Kind::Choice: break;
  }
  return "choice";
}

}  // namespace

double to_unit(const Distribution& d, const nlohmann::json& value) {
  switch (d.kind) {
    case Distribution::Kind::Uniform:
      return (number(value) - d.low) / (d.high - d.low);
    case Distribution::Kind::LogUniform: {
      const double x = number(value);
      if (!(x > 0)) throw std::invalid_argument("expected a positive number, got " + value.dump());
      return (std::log(x) - std::log(d.low)) / (std::log(d.high) - std::log(d.low));
    }
    case Distribution::Kind::IntUniform: {
      const double span = d.high - d.low + 1;
      return (std::round(number(value)) - d.low + 0.5) / span;
    }
    case Distribution::Kind::Choice:
      break;
  }
  // JSON equality: 1 and 1.0 are equal numbers, as the values of a written list are.
  for (size_t i = 0; i < d.choices.size(); ++i)
    if (to_json(d.choices[i]) == value)
      return (static_cast<double>(i) + 0.5) / static_cast<double>(d.choices.size());
  throw std::invalid_argument(value.dump() + " is not one of the choices");
}

nlohmann::json from_unit(const Distribution& d, double u) {
  u = clamp_unit(u);
  switch (d.kind) {
    case Distribution::Kind::Uniform:
      return std::min(d.high, std::max(d.low, d.low + (d.high - d.low) * u));
    case Distribution::Kind::LogUniform:
      return std::min(d.high, std::max(d.low, std::exp(std::log(d.low) + (std::log(d.high) - std::log(d.low)) * u)));
    case Distribution::Kind::IntUniform: {
      const auto span = static_cast<size_t>(d.high - d.low) + 1;
      return static_cast<int64_t>(d.low) + static_cast<int64_t>(cell_of(u, span));
    }
    case Distribution::Kind::Choice:
      break;
  }
  return to_json(d.choices[cell_of(u, d.choices.size())]);
}

nlohmann::json search_space_to_json(const SearchSpace& space) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& dimension : space) {
    const Distribution& d = dimension.distribution;
    nlohmann::json entry = {{"key", dimension.key}, {"distribution", kind_name(d.kind)}};
    if (d.kind == Distribution::Kind::Choice) {
      entry["values"] = nlohmann::json::array();
      for (const auto& choice : d.choices) entry["values"].push_back(to_json(choice));
    } else if (d.kind == Distribution::Kind::IntUniform) {
      entry["low"] = static_cast<int64_t>(d.low);
      entry["high"] = static_cast<int64_t>(d.high);
    } else {
      entry["low"] = d.low;
      entry["high"] = d.high;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

SearchSpace search_space_from_json(const nlohmann::json& recorded) {
  if (!recorded.is_array()) throw std::invalid_argument("a search space is a list, got " + recorded.dump());
  SearchSpace space;
  for (const auto& entry : recorded) {
    if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string() || !entry.contains("distribution") ||
        !entry["distribution"].is_string())
      throw std::invalid_argument("expected {key, distribution, ...}, got " + entry.dump());
    SearchDimension dimension;
    dimension.key = entry["key"].get<std::string>();
    Distribution& d = dimension.distribution;
    const std::string kind = entry["distribution"].get<std::string>();
    if (kind == "choice") {
      d.kind = Distribution::Kind::Choice;
      if (!entry.contains("values") || !entry["values"].is_array() || entry["values"].empty())
        throw std::invalid_argument("a choice needs a non-empty list of values: " + entry.dump());
      for (const auto& value : entry["values"]) d.choices.push_back(from_json(value, Mark{}));
    } else {
      if (kind == "uniform") d.kind = Distribution::Kind::Uniform;
      else if (kind == "log_uniform") d.kind = Distribution::Kind::LogUniform;
      else if (kind == "int_uniform") d.kind = Distribution::Kind::IntUniform;
      else throw std::invalid_argument("unknown distribution " + entry["distribution"].dump());
      if (!entry.contains("low") || !entry.contains("high"))
        throw std::invalid_argument("expected low and high: " + entry.dump());
      d.low = number(entry["low"]);
      d.high = number(entry["high"]);
      const bool ordered = d.kind == Distribution::Kind::IntUniform ? d.high >= d.low : d.high > d.low;
      if (!ordered || (d.kind == Distribution::Kind::LogUniform && !(d.low > 0)))
        throw std::invalid_argument("bounds out of order or not positive for log_uniform: " + entry.dump());
    }
    space.push_back(std::move(dimension));
  }
  return space;
}

nlohmann::json random_point(const SearchSpace& space, Sampler& sampler) {
  nlohmann::json point = nlohmann::json::object();
  for (const auto& dimension : space) point[dimension.key] = to_json(sampler.draw(dimension.distribution));
  return point;
}

bool point_to_unit(const SearchSpace& space, const nlohmann::json& point, std::vector<double>& unit) {
  unit.assign(space.size(), 0.0);
  if (!point.is_object()) return false;
  for (size_t i = 0; i < space.size(); ++i) {
    const auto it = point.find(space[i].key);
    if (it == point.end()) return false;
    try {
      unit[i] = to_unit(space[i].distribution, *it);
    } catch (const std::invalid_argument&) {
      return false;
    }
    if (!std::isfinite(unit[i])) return false;
  }
  return true;
}

nlohmann::json point_from_unit(const SearchSpace& space, const std::vector<double>& unit) {
  nlohmann::json point = nlohmann::json::object();
  for (size_t i = 0; i < space.size(); ++i) point[space[i].key] = from_unit(space[i].distribution, unit.at(i));
  return point;
}

}  // namespace torchsweep
