// Random search: the distributions a `sweep.mode: random` spec draws values from,
// and the generator that draws them. Sampling must give the same values for the
// same seed on every platform and standard library, so it uses mt19937_64 (whose
// output the C++ standard fixes) with its own conversion to numbers — the standard
// library's distributions are allowed to differ between implementations.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "base/spec_node.h"

namespace torchsweep {

struct Distribution {
  enum class Kind { Uniform, LogUniform, IntUniform, Choice };
  Kind kind = Kind::Choice;
  double low = 0.0;               ///< uniform, log_uniform: [low, high); int_uniform: [low, high]
  double high = 0.0;
  std::vector<SpecNode> choices;  ///< choice: the values, each with its own mark
  Mark mark;                      ///< where the distribution was written (sampled values carry it)
};

/// Reads `{distribution: log_uniform, low: 1e-4, high: 0.1}` (or uniform, int_uniform,
/// `{distribution: choice, values: [...]}`); `key` names it in errors.
Distribution parse_distribution(const SpecNode& node, const std::string& key);

/// A list of values as a choice distribution.
Distribution choice_of(const SpecNode& list);

/// How many different values a distribution gives: a choice's count, an int_uniform's
/// span, infinity for the continuous ones.
double distinct_values(const Distribution& distribution);

/// Whether a sweep.parameters value is written as a distribution (a mapping).
bool is_distribution(const SpecNode& node);

/// Deterministic draws for one sweep.
class Sampler {
 public:
  explicit Sampler(uint64_t seed) : engine_(seed) {}
  /// One value: a float for uniform and log_uniform, an integer for int_uniform,
  /// one of the listed values for choice.
  SpecNode draw(const Distribution& distribution);
  /// Uniform on [0, 1) with 53 random bits.
  double unit();

 private:
  std::mt19937_64 engine_;
};

}  // namespace torchsweep
