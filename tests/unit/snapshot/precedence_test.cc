#include "snapshot/precedence.h"

#include <gtest/gtest.h>

#include <vector>

#include "../dataplane/route_fixtures.h"

namespace gatehouse::snapshot {
namespace {

using testing::M;

TEST(Precedes, ExactBeatsLongerPrefix) { EXPECT_TRUE(precedes(M().exact("/a"), M().prefix("/a/very/long/prefix"))); }
TEST(Precedes, PrefixDoesNotBeatExact) { EXPECT_FALSE(precedes(M().prefix("/a/very/long"), M().exact("/a"))); }
TEST(Precedes, LongerPrefixBeatsShorter) { EXPECT_TRUE(precedes(M().prefix("/abc"), M().prefix("/ab"))); }
TEST(Precedes, PrefixLengthCountsTrailingSlash) { EXPECT_TRUE(precedes(M().prefix("/foo/"), M().prefix("/foo"))); }
TEST(Precedes, PrefixLengthBeatsMethod) {
  EXPECT_TRUE(precedes(M().prefix("/ab"), M().prefix("/a").method("GET")));
}
TEST(Precedes, MethodBeatsHeaders) {
  EXPECT_TRUE(precedes(M().method("PATCH"), M().header("a", "1").header("b", "2")));
}
TEST(Precedes, MoreHeadersBeatFewer) { EXPECT_TRUE(precedes(M().header("a", "1").header("b", "2"), M().header("a", "1"))); }
TEST(Precedes, HeadersBeatQueryParams) {
  EXPECT_TRUE(precedes(M().header("a", "1"), M().query("a", "1").query("b", "2")));
}
TEST(Precedes, MoreQueryParamsBeatFewer) { EXPECT_TRUE(precedes(M().query("a", "1").query("b", "2"), M().query("a", "1"))); }
TEST(Precedes, RegexComesAfterPrefixRoot) { EXPECT_TRUE(precedes(M().prefix("/"), M().regex("/very/specific/.*"))); }
TEST(Precedes, RegexComesAfterExact) { EXPECT_TRUE(precedes(M().exact("/x"), M().regex("/x"))); }
TEST(Precedes, RegexesTieWhateverThePattern) {
  EXPECT_FALSE(precedes(M().regex("/a+"), M().regex("/long/pattern/.*")));
  EXPECT_FALSE(precedes(M().regex("/long/pattern/.*"), M().regex("/a+")));
}
TEST(Precedes, RegexWithMethodBeatsRegexWithout) { EXPECT_TRUE(precedes(M().regex("/a").method("GET"), M().regex("/b"))); }
TEST(Precedes, IdenticalMatchesTie) {
  EXPECT_FALSE(precedes(M().prefix("/a").header("x", "1"), M().prefix("/a").header("y", "2")));
  EXPECT_FALSE(precedes(M().prefix("/a").header("y", "2"), M().prefix("/a").header("x", "1")));
}
TEST(Precedes, IsIrreflexive) { EXPECT_FALSE(precedes(M().exact("/a"), M().exact("/a"))); }
TEST(Precedes, DuplicateHeaderNamesCountOnce) {
  EXPECT_FALSE(precedes(M().header("a", "1").header("A", "2"), M().header("b", "1")));
}
TEST(Precedes, DuplicateQueryParamNamesCountOnce) {
  EXPECT_FALSE(precedes(M().query("a", "1").query("a", "2"), M().query("b", "1")));
}
TEST(Precedes, QueryParamNamesDifferingInCaseAreDistinct) {
  EXPECT_TRUE(precedes(M().query("a", "1").query("A", "2"), M().query("b", "1")));
}

TEST(Precedes, StableSortKeepsInputOrderOnTies) {
  std::vector<snapshot::RouteEntry> entries{{M().prefix("/a"), 0}, {M().prefix("/b"), 1}, {M().exact("/c"), 2},
                                            {M().prefix("/d"), 3}};
  std::stable_sort(entries.begin(), entries.end(),
                   [](const snapshot::RouteEntry& a, const snapshot::RouteEntry& b) { return precedes(a.match, b.match); });
  std::vector<uint32_t> rules;
  for (const auto& e : entries) rules.push_back(e.rule);
  EXPECT_EQ(rules, (std::vector<uint32_t>{2, 0, 1, 3}));
}

}  // namespace
}  // namespace gatehouse::snapshot
