#include "dataplane/http/path.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::http {
namespace {

TEST(PathPart, StopsAtQuestionMark) { EXPECT_EQ(pathPart("/a/b?x=1?y"), "/a/b"); }
TEST(PathPart, IsWholeTargetWithoutQuery) { EXPECT_EQ(pathPart("/a/b"), "/a/b"); }
TEST(QueryPart, IsEverythingAfterFirstQuestionMark) { EXPECT_EQ(queryPart("/a?x=1?y"), "x=1?y"); }
TEST(QueryPart, IsEmptyWithoutQuery) { EXPECT_EQ(queryPart("/a"), ""); }

TEST(PathPrefixMatches, MatchesTheExactPath) { EXPECT_TRUE(pathPrefixMatches("/foo", "/foo")); }
TEST(PathPrefixMatches, MatchesWithTrailingSlash) { EXPECT_TRUE(pathPrefixMatches("/foo", "/foo/")); }
TEST(PathPrefixMatches, MatchesLongerPath) { EXPECT_TRUE(pathPrefixMatches("/foo", "/foo/bar")); }
TEST(PathPrefixMatches, DoesNotMatchPartialElement) { EXPECT_FALSE(pathPrefixMatches("/foo", "/foobar")); }
TEST(PathPrefixMatches, PrefixTrailingSlashIsIgnored) { EXPECT_TRUE(pathPrefixMatches("/foo/", "/foo")); }
TEST(PathPrefixMatches, PrefixWithTrailingSlashMatchesChildren) { EXPECT_TRUE(pathPrefixMatches("/foo/", "/foo/bar")); }
TEST(PathPrefixMatches, PrefixWithTrailingSlashDoesNotMatchPartialElement) {
  EXPECT_FALSE(pathPrefixMatches("/foo/", "/foobar"));
}
TEST(PathPrefixMatches, RootMatchesEverything) {
  EXPECT_TRUE(pathPrefixMatches("/", "/"));
  EXPECT_TRUE(pathPrefixMatches("/", "/anything/at/all"));
}
TEST(PathPrefixMatches, IsCaseSensitive) { EXPECT_FALSE(pathPrefixMatches("/foo", "/Foo")); }
TEST(PathPrefixMatches, ShorterPathDoesNotMatch) { EXPECT_FALSE(pathPrefixMatches("/foo/bar", "/foo")); }
TEST(PathPrefixMatches, EncodedSlashIsNotASeparator) { EXPECT_FALSE(pathPrefixMatches("/foo", "/foo%2Fbar")); }

TEST(FindQueryParam, ReturnsFirstOccurrence) { EXPECT_EQ(findQueryParam("a=1&b=2&a=3", "a"), "1"); }
TEST(FindQueryParam, NameIsCaseSensitive) { EXPECT_EQ(findQueryParam("A=1", "a"), std::nullopt); }
TEST(FindQueryParam, NameIsPercentDecoded) { EXPECT_EQ(findQueryParam("%61=1", "a"), "1"); }
TEST(FindQueryParam, ValueStaysRaw) { EXPECT_EQ(findQueryParam("a=x%20y", "a"), "x%20y"); }
TEST(FindQueryParam, ParamWithoutEqualsHasEmptyValue) { EXPECT_EQ(findQueryParam("a&b=2", "a"), ""); }
TEST(FindQueryParam, ValueMayContainEquals) { EXPECT_EQ(findQueryParam("a=b=c", "a"), "b=c"); }
TEST(FindQueryParam, AbsentIsNullopt) { EXPECT_EQ(findQueryParam("ab=1", "a"), std::nullopt); }
TEST(FindQueryParam, EmptyQueryIsNullopt) { EXPECT_EQ(findQueryParam("", "a"), std::nullopt); }

TEST(PercentDecodedEquals, DecodesEscapes) { EXPECT_TRUE(percentDecodedEquals("x%20y", "x y")); }
TEST(PercentDecodedEquals, PlusIsNotSpace) { EXPECT_FALSE(percentDecodedEquals("x+y", "x y")); }
TEST(PercentDecodedEquals, InvalidEscapeStandsForItself) { EXPECT_TRUE(percentDecodedEquals("100%", "100%")); }
TEST(PercentDecodedEquals, LengthMustMatch) {
  EXPECT_FALSE(percentDecodedEquals("abc", "ab"));
  EXPECT_FALSE(percentDecodedEquals("ab", "abc"));
}
TEST(PercentDecode, DecodesValidAndKeepsInvalidEscapes) { EXPECT_EQ(percentDecode("%41%zz%4"), "A%zz%4"); }

std::string normalised(std::string target, dataplane::EscapedSlashes escaped_slashes = dataplane::EscapedSlashes::Reject) {
  if (!normalizePath(target, escaped_slashes)) return "<invalid>";
  return target;
}

TEST(NormalizePath, LeavesNormalPathUntouched) { EXPECT_EQ(normalised("/a/b/?x=%2F&y=//"), "/a/b/?x=%2F&y=//"); }
TEST(NormalizePath, MergesSlashes) { EXPECT_EQ(normalised("//admin///x"), "/admin/x"); }
TEST(NormalizePath, RemovesDotSegments) { EXPECT_EQ(normalised("/a/./b/../c"), "/a/c"); }
TEST(NormalizePath, DotDotNeverClimbsAboveRoot) { EXPECT_EQ(normalised("/../../etc"), "/etc"); }
TEST(NormalizePath, TrailingDotDotKeepsDirectorySlash) { EXPECT_EQ(normalised("/a/b/.."), "/a/"); }
TEST(NormalizePath, TrailingDotKeepsDirectorySlash) { EXPECT_EQ(normalised("/a/."), "/a/"); }
TEST(NormalizePath, DecodesUnreservedCharacters) { EXPECT_EQ(normalised("/%61dmin/%7E"), "/admin/~"); }
TEST(NormalizePath, EncodedDotsAreDotSegments) { EXPECT_EQ(normalised("/a/%2e%2E/b"), "/b"); }
TEST(NormalizePath, RejectsEscapedSlashesByDefault) {
  EXPECT_EQ(normalised("/public%2F..%2Fadmin"), "<invalid>");
  EXPECT_EQ(normalised("/a%2fb"), "<invalid>");
  EXPECT_EQ(normalised("/a%5Cb"), "<invalid>");
  EXPECT_EQ(normalised("/a%5cb"), "<invalid>");
}
TEST(NormalizePath, UnescapeMakesEscapedSlashesSeparatorsBeforeDotSegments) {
  EXPECT_EQ(normalised("/public%2F..%2Fadmin", dataplane::EscapedSlashes::Unescape), "/admin");
  EXPECT_EQ(normalised("/public%5C..%5Cadmin", dataplane::EscapedSlashes::Unescape), "/admin");
  EXPECT_EQ(normalised("/a%2f%2Fb", dataplane::EscapedSlashes::Unescape), "/a/b");
}
TEST(NormalizePath, KeepLeavesEscapedSlashesEncodedWithUpperCaseHex) {
  EXPECT_EQ(normalised("/a%2fb", dataplane::EscapedSlashes::Keep), "/a%2Fb");
  EXPECT_EQ(normalised("/a%5cb/..", dataplane::EscapedSlashes::Keep), "/");
}
TEST(NormalizePath, RejectsRawBackslashInEveryMode) {
  EXPECT_EQ(normalised("/a\\b"), "<invalid>");
  EXPECT_EQ(normalised("/a\\..\\b", dataplane::EscapedSlashes::Unescape), "<invalid>");
  EXPECT_EQ(normalised("/a\\b", dataplane::EscapedSlashes::Keep), "<invalid>");
}
TEST(NormalizePath, EscapedSlashInQueryIsNotTouched) {
  EXPECT_EQ(normalised("/a?next=%2Fadmin"), "/a?next=%2Fadmin");
}
TEST(NormalizePath, KeepsReservedEscapesWithUpperCaseHex) { EXPECT_EQ(normalised("/a%3fb%20c"), "/a%3Fb%20c"); }
TEST(NormalizePath, LeavesQueryAlone) { EXPECT_EQ(normalised("//a?b=//..%2e"), "/a?b=//..%2e"); }
TEST(NormalizePath, RejectsRelativeTarget) { EXPECT_EQ(normalised("a/b"), "<invalid>"); }
TEST(NormalizePath, RejectsEmptyTarget) { EXPECT_EQ(normalised(""), "<invalid>"); }
TEST(NormalizePath, RejectsMalformedEscape) {
  EXPECT_EQ(normalised("/a%2"), "<invalid>");
  EXPECT_EQ(normalised("/a%zz"), "<invalid>");
}
TEST(NormalizePath, RejectsControlCharactersAndSpace) {
  EXPECT_EQ(normalised(std::string("/a\x01")), "<invalid>");
  EXPECT_EQ(normalised("/a b"), "<invalid>");
}
TEST(NormalizePath, RootStaysRoot) { EXPECT_EQ(normalised("/"), "/"); }
TEST(NormalizePath, DotFileIsNotADotSegment) { EXPECT_EQ(normalised("/.well-known/..x"), "/.well-known/..x"); }

}  // namespace
}  // namespace gatehouse::http
