#include "base/cadence.h"

#include <cctype>
#include <limits>

namespace torchsweep {

std::optional<Cadence> Cadence::parse(const std::string& text) {
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_spaces();
  if (text.compare(i, std::string::npos, "end") == 0) return end();
  int64_t count = 0;
  const size_t digits_start = i;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (count > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
    count = count * 10 + (text[i] - '0');
  }
  if (i == digits_start || count < 1) return std::nullopt;
  skip_spaces();
  std::string unit = text.substr(i);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back()))) unit.pop_back();
  if (unit == "epoch" || unit == "epochs") return epochs(count);
  if (unit == "step" || unit == "steps") return steps(count);
  return std::nullopt;
}

std::string Cadence::str() const {
  switch (unit) {
    case Unit::Epochs: return std::to_string(count) + (count == 1 ? " epoch" : " epochs");
    case Unit::Steps: return std::to_string(count) + (count == 1 ? " step" : " steps");
    case Unit::End: return "end";
  }
  return "end";
}

const char* cadence_expected() { return "a count with its unit, such as `1 epoch`, `2 epochs` or `500 steps`, or `end`"; }

}  // namespace torchsweep
