// What the override grammar's tests ask of parse_override: a value override's value,
// its text, and the message of one that is refused.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "spec/override_parser.h"

namespace torchsweep::testing::overrides {

/// The value of `text`, which must be a plain value override (not a sweep or a deletion).
inline SpecNode value_of(const std::string& text) {
  const Override o = parse_override(text);
  EXPECT_EQ(o.shape, Override::Shape::Value) << text;
  return o.value;
}

/// The value of `text`, which must be a string.
inline std::string string_of(const std::string& text) {
  const SpecNode v = value_of(text);
  EXPECT_EQ(v.kind(), SpecNode::Kind::String) << text << " gave " << v.describe();
  return v.as_string();
}

/// SpecError's message for `text` ("" when it is accepted).
inline std::string message_of(const std::string& text) {
  try {
    parse_override(text);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

}  // namespace torchsweep::testing::overrides
