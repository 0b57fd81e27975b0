// How often something happens while a run trains: every N epochs, every N steps, or
// once at the end. Written in a spec as "2 epochs", "500 steps" or "end" — always with
// its unit, because a bare number would mean epochs under one budget and steps under
// the other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace torchsweep {

struct Cadence {
  enum class Unit { Epochs, Steps, End };
  Unit unit = Unit::End;
  int64_t count = 0;  ///< every `count` epochs or steps; 0 for End

  static Cadence epochs(int64_t n) { return {Unit::Epochs, n}; }
  static Cadence steps(int64_t n) { return {Unit::Steps, n}; }
  static Cadence end() { return {Unit::End, 0}; }

  /// Reads "2 epochs", "1 epoch", "500 steps", "500steps", "end"; nullopt otherwise.
  static std::optional<Cadence> parse(const std::string& text);
  /// The canonical text: "1 epoch", "2 epochs", "500 steps", "end".
  std::string str() const;

  bool operator==(const Cadence& other) const { return unit == other.unit && count == other.count; }
};

/// What a spec may write, for error messages.
const char* cadence_expected();

}  // namespace torchsweep
