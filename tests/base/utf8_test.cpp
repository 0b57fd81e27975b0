// UTF-8 validity as RFC 3629 defines it, positions in characters, escaped messages.
#include "base/utf8.h"

#include <gtest/gtest.h>

namespace torchsweep {
namespace {

TEST(Utf8, ValidTextOfOneToFourByteCharacters) {
  EXPECT_FALSE(first_invalid_utf8(""));
  EXPECT_FALSE(first_invalid_utf8("name: seed-backprop"));
  EXPECT_FALSE(first_invalid_utf8("E_total = ½ Σ (t − a)² 😀"));
  EXPECT_FALSE(first_invalid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, InvalidSequencesAreFoundAtTheirFirstByte) {
  EXPECT_EQ(first_invalid_utf8("ab\xFF"), 2u);
  EXPECT_EQ(first_invalid_utf8("a\x80"), 1u) << "a continuation byte alone";
  EXPECT_EQ(first_invalid_utf8("\xC0\x80"), 0u) << "overlong NUL";
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\xAF"), 0u) << "overlong '/'";
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u) << "a UTF-16 surrogate";
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u) << "above U+10FFFF";
  EXPECT_EQ(first_invalid_utf8("é\xE2\x82"), 2u) << "cut short at the end";
  EXPECT_EQ(first_invalid_utf8("\xE2\x82z"), 0u) << "a sequence broken by ASCII";
}

TEST(Utf8, PositionsCountCharactersOnTheirLine) {
  const std::string text = "name: x\ndescription: é \xFF";
  const auto bad = first_invalid_utf8(text);
  ASSERT_TRUE(bad);
  const TextPosition at = position_of(text, *bad);
  EXPECT_EQ(at.line, 2);
  EXPECT_EQ(at.column, 16) << "é is one character";
}

TEST(Utf8, MessagesShowInvalidBytesEscaped) {
  EXPECT_EQ(escape_invalid_utf8("a\xFF\xFE" "b é"), "a\\xFF\\xFEb é");
  EXPECT_EQ(escape_invalid_utf8("plain"), "plain");
}

TEST(Utf8, CaseChangesOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower("Chart.PNG"), "chart.png");
  EXPECT_EQ(ascii_upper("vacuum_into(1)"), "VACUUM_INTO(1)");
  // Multi-byte characters pass through byte for byte, whatever the locale says.
  EXPECT_EQ(ascii_lower("ÉTÉ Lr"), "ÉtÉ lr");
  EXPECT_EQ(ascii_upper("été"), "éTé");
}

}  // namespace
}  // namespace torchsweep
