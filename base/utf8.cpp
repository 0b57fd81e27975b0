#include "base/utf8.h"

#include <cstdint>
#include <cstdio>

namespace torchsweep {

namespace {

/// Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid.
size_t sequence_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  uint32_t min = 0, code = 0;
  if ((b0 & 0xE0) == 0xC0) n = 2, min = 0x80, code = b0 & 0x1F;
  else if ((b0 & 0xF0) == 0xE0) n = 3, min = 0x800, code = b0 & 0x0F;
  else if ((b0 & 0xF8) == 0xF0) n = 4, min = 0x10000, code = b0 & 0x07;
  else return 0;  // a continuation byte or 0xF8..0xFF where a sequence should start
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::optional<size_t> first_invalid_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

namespace {
bool starts_character(char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }
}  // namespace

std::string invalid_utf8_at(const std::string& text, size_t offset) {
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<uint8_t>(text.at(offset)));
  return std::string("invalid UTF-8 (byte ") + byte + ")";
}

size_t character_count(const std::string& text) {
  size_t n = 0;
  for (const char c : text) n += starts_character(c);
  return n;
}

std::string first_characters(const std::string& text, size_t count) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if (starts_character(text[i]) && n++ == count) return text.substr(0, i);
  return text;
}

TextPosition position_of(const std::string& text, size_t offset) {
  TextPosition p;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else if (starts_character(text[i])) {
      ++p.column;
    }
  }
  return p;
}

std::string escape_invalid_utf8(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text, i);
    if (n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<uint8_t>(text[i]));
      out += hex;
      ++i;
    }
  }
  return out;
}

std::string ascii_lower(std::string text) {
  for (auto& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

std::string ascii_upper(std::string text) {
  for (auto& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

}  // namespace torchsweep
