#include "dataplane/observe/json_escape.h"

#include <gtest/gtest.h>

namespace gatehouse::dataplane::observe {
namespace {

std::string escaped(std::string_view bytes) {
  std::string out;
  appendJsonString(out, bytes);
  return out;
}

TEST(JsonEscape, PlainAsciiIsQuotedAsIs) { EXPECT_EQ(escaped("/api/v1?x=1"), "\"/api/v1?x=1\""); }

TEST(JsonEscape, QuoteAndBackslashAreEscaped) { EXPECT_EQ(escaped("a\"b\\c"), "\"a\\\"b\\\\c\""); }

TEST(JsonEscape, ControlCharactersAndDeleteBecomeUnicodeEscapes) {
  EXPECT_EQ(escaped(std::string("\r\n\t\0\x1b\x7f", 6)), "\"\\u000d\\u000a\\u0009\\u0000\\u001b\\u007f\"");
}

TEST(JsonEscape, ForgedLineCannotEscapeTheString) {
  EXPECT_EQ(escaped("x\"}\n{\"status\":200"), "\"x\\\"}\\u000a{\\\"status\\\":200\"");
}

TEST(JsonEscape, LineSeparatorsAndNextLineAreEscaped) {
  EXPECT_EQ(escaped("a\u2028b\u2029c\u0085d"), "\"a\\u2028b\\u2029c\\u0085d\"");
}

TEST(JsonEscape, ValidMultiByteUtf8PassesThrough) {
  EXPECT_EQ(escaped("caf\u00e9 \u20ac \U0001F600"), "\"caf\u00e9 \u20ac \U0001F600\"");
}

TEST(JsonEscape, EachInvalidByteIsEscapedAsLatin1) {
  EXPECT_EQ(escaped("\xff"), "\"\\u00ff\"");                      // never a lead byte
  EXPECT_EQ(escaped("\x80z"), "\"\\u0080z\"");                    // stray continuation
  EXPECT_EQ(escaped("\xc0\xaf"), "\"\\u00c0\\u00af\"");           // overlong "/"
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");  // a UTF-16 surrogate
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");  // beyond U+10FFFF
  EXPECT_EQ(escaped("\xe2\x82"), "\"\\u00e2\\u0082\"");           // truncated at the end
  EXPECT_EQ(escaped("\xe2(\xa1"), "\"\\u00e2(\\u00a1\"");         // broken in the middle
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
