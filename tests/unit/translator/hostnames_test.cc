#include "translator/hostnames.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

using Hosts = std::vector<std::string>;

TEST(WildcardMatches, MatchesOneOrMoreLabels) {
  EXPECT_TRUE(wildcardMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(wildcardMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", "example.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", "aexample.com"));
}

TEST(WildcardMatches, ExactPatternNeedsEquality) {
  EXPECT_TRUE(wildcardMatches("a.example.com", "a.example.com"));
  EXPECT_FALSE(wildcardMatches("a.example.com", "b.example.com"));
}

TEST(IntersectHostnames, NoListenerHostnameTakesRouteHostnames) {
  EXPECT_EQ(intersectHostnames("", Hosts{"a.com", "*.b.com"}), (Hosts{"a.com", "*.b.com"}));
}

TEST(IntersectHostnames, NoRouteHostnamesTakesListenerHostname) {
  EXPECT_EQ(intersectHostnames("*.example.com", Hosts{}), (Hosts{"*.example.com"}));
  EXPECT_EQ(intersectHostnames("", Hosts{}), (Hosts{""}));
}

TEST(IntersectHostnames, RouteNameInsideListenerWildcard) {
  EXPECT_EQ(intersectHostnames("*.example.com", Hosts{"foo.example.com", "foo.example.org"}),
            (Hosts{"foo.example.com"}));
}

TEST(IntersectHostnames, NarrowerWildcardWins) {
  EXPECT_EQ(intersectHostnames("*.example.com", Hosts{"*.foo.example.com"}), (Hosts{"*.foo.example.com"}));
  EXPECT_EQ(intersectHostnames("foo.example.com", Hosts{"*.example.com"}), (Hosts{"foo.example.com"}));
  EXPECT_EQ(intersectHostnames("*.foo.example.com", Hosts{"*.example.com"}), (Hosts{"*.foo.example.com"}));
}

TEST(IntersectHostnames, DisjointIsNullopt) {
  EXPECT_EQ(intersectHostnames("foo.example.com", Hosts{"bar.example.com"}), std::nullopt);
  EXPECT_EQ(intersectHostnames("*.example.com", Hosts{"example.com"}), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::translator
