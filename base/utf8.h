// UTF-8 validity of text from users (specs, overrides): the results database stores
// text as UTF-8 (JSON columns, SQLite TEXT), so invalid bytes are bad input, found
// where they are rather than deep in a JSON serialiser.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace torchsweep {

/// Where the first byte that is not part of a valid UTF-8 sequence is (0-based), or
/// nullopt for valid text. Overlong forms, surrogates and code points above U+10FFFF
/// are invalid, as RFC 3629 says.
std::optional<size_t> first_invalid_utf8(const std::string& text);

/// The line and column (both 1-based; the column counts characters) of byte `offset`.
struct TextPosition {
  int line = 1;
  int column = 1;
};
TextPosition position_of(const std::string& text, size_t offset);

/// "invalid UTF-8 (byte 0xFF)": the start of an error message for the byte at `offset`.
std::string invalid_utf8_at(const std::string& text, size_t offset);

/// Characters (not bytes) in UTF-8 text.
size_t character_count(const std::string& text);
/// The first `count` characters of UTF-8 text (all of it when shorter).
std::string first_characters(const std::string& text, size_t count);

/// The text with every byte of an invalid sequence written as \xHH, for messages.
std::string escape_invalid_utf8(const std::string& text);

/// The text with ASCII letters in lower case and every other byte kept: keywords and
/// file extensions compared without regard to case.
std::string ascii_lower(std::string text);
/// The same with ASCII letters in upper case (SQL keywords in messages).
std::string ascii_upper(std::string text);

}  // namespace torchsweep
