#include "dataplane/filters/filters.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../route_fixtures.h"
#include "dataplane/filters/path_modifier.h"

namespace gatehouse::filters {
namespace {

using snapshot::PathModifier;
using testing::M;

// The request phase of one filter list, with no mirroring.
void applyRequestFilters(const snapshot::Filters& filters, const snapshot::PathMatch& matched, http::Request& request) {
  RequestFilterContext context{matched, request};
  filters::applyRequestFilters(filters, context);
}

// ---- ReplacePrefixMatch: the spec's table, row by row ---------------------------------------

struct PrefixRow {
  std::string name, path, prefix, replacement, expected;
};
class ReplacePrefixMatchTable : public ::testing::TestWithParam<PrefixRow> {};
TEST_P(ReplacePrefixMatchTable, ModifiesPath) {
  const PrefixRow& r = GetParam();
  EXPECT_EQ(replacePrefixMatch(r.path, r.prefix, r.replacement), r.expected);
}
INSTANTIATE_TEST_SUITE_P(Spec, ReplacePrefixMatchTable,
                         ::testing::Values(PrefixRow{"FooBarFooXyz", "/foo/bar", "/foo", "/xyz", "/xyz/bar"},
                                           PrefixRow{"FooBarFooXyzSlash", "/foo/bar", "/foo", "/xyz/", "/xyz/bar"},
                                           PrefixRow{"FooBarFooSlashXyz", "/foo/bar", "/foo/", "/xyz", "/xyz/bar"},
                                           PrefixRow{"FooBarFooSlashXyzSlash", "/foo/bar", "/foo/", "/xyz/", "/xyz/bar"},
                                           PrefixRow{"FooFooXyz", "/foo", "/foo", "/xyz", "/xyz"},
                                           PrefixRow{"FooSlashFooXyz", "/foo/", "/foo", "/xyz", "/xyz/"},
                                           PrefixRow{"FooBarFooEmpty", "/foo/bar", "/foo", "", "/bar"},
                                           PrefixRow{"FooSlashFooEmpty", "/foo/", "/foo", "", "/"},
                                           PrefixRow{"FooFooEmpty", "/foo", "/foo", "", "/"},
                                           PrefixRow{"FooSlashFooSlash", "/foo/", "/foo", "/", "/"},
                                           PrefixRow{"FooFooSlash", "/foo", "/foo", "/", "/"}),
                         [](const ::testing::TestParamInfo<PrefixRow>& i) { return i.param.name; });

TEST(ReplacePrefixMatch, RootPrefixPrependsReplacement) { EXPECT_EQ(replacePrefixMatch("/a/b", "/", "/x"), "/x/a/b"); }
TEST(ReplacePrefixMatch, RootPrefixOnRootPath) { EXPECT_EQ(replacePrefixMatch("/", "/", "/x"), "/x/"); }
TEST(ReplacePrefixMatch, PrefixWithTrailingSlashOnBarePath) { EXPECT_EQ(replacePrefixMatch("/foo", "/foo/", "/xyz"), "/xyz"); }
TEST(ReplacePrefixMatch, ReplacementWithoutLeadingSlashGetsOne) { EXPECT_EQ(replacePrefixMatch("/foo/bar", "/foo", "x"), "/x/bar"); }
TEST(ReplacePrefixMatch, NonMatchingPathIsUnchanged) { EXPECT_EQ(replacePrefixMatch("/foobar", "/foo", "/x"), "/foobar"); }

TEST(ModifiedPath, FullPathReplacesEverything) {
  EXPECT_EQ(modifiedPath({PathModifier::Type::ReplaceFullPath, "/new"}, M().prefix("/a").m.path, "/a/b"), "/new");
}
TEST(ModifiedPath, EmptyFullPathBecomesRoot) {
  EXPECT_EQ(modifiedPath({PathModifier::Type::ReplaceFullPath, ""}, M().prefix("/a").m.path, "/a/b"), "/");
}
TEST(ModifiedPath, PrefixReplacementOfExactMatchReplacesWholePath) {
  EXPECT_EQ(modifiedPath({PathModifier::Type::ReplacePrefixMatch, "/x"}, M().exact("/a").m.path, "/a"), "/x");
}
TEST(ModifiedPath, PrefixReplacementOfRegexMatchKeepsPath) {
  EXPECT_EQ(modifiedPath({PathModifier::Type::ReplacePrefixMatch, "/x"}, M().regex("/a.*").m.path, "/abc"), std::nullopt);
}
TEST(ModifiedPath, PrefixReplacementWhenPrefixDoesNotMatchKeepsPath) {
  EXPECT_EQ(modifiedPath({PathModifier::Type::ReplacePrefixMatch, "/x"}, M().prefix("/b").m.path, "/a"), std::nullopt);
}

// ---- header modifier ------------------------------------------------------------------------

http::Headers headers(std::vector<std::pair<std::string, std::string>> fields) {
  http::Headers h;
  for (auto& [n, v] : fields) h.add(n, v);
  return h;
}
using Fields = std::vector<http::Headers::Field>;

TEST(HeaderModifier, EmptyModifierChangesNothing) {
  http::Headers h = headers({{"A", "1"}});
  applyHeaderModifier({}, h);
  EXPECT_EQ(h.fields(), (Fields{{"A", "1"}}));
}
TEST(HeaderModifier, SetReplacesEveryFieldOfTheName) {
  http::Headers h = headers({{"a", "1"}, {"B", "2"}, {"A", "3"}});
  applyHeaderModifier({{{"A", "x"}}, {}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"A", "x"}, {"B", "2"}}));
}
TEST(HeaderModifier, AddCreatesFieldWhenAbsent) {
  http::Headers h = headers({{"B", "2"}});
  applyHeaderModifier({{}, {{"A", "1"}}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"B", "2"}, {"A", "1"}}));
}
TEST(HeaderModifier, AddAppendsToExistingValueWithComma) {
  http::Headers h = headers({{"my-header", "foo"}});
  applyHeaderModifier({{}, {{"My-Header", "bar,baz"}}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"my-header", "foo,bar,baz"}}));
}
TEST(HeaderModifier, AddAppendsToLastOfRepeatedFields) {
  http::Headers h = headers({{"a", "1"}, {"a", "2"}});
  applyHeaderModifier({{}, {{"a", "3"}}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"a", "1"}, {"a", "2,3"}}));
}
TEST(HeaderModifier, AddSetCookieAddsSeparateField) {
  http::Headers h = headers({{"Set-Cookie", "a=1"}});
  applyHeaderModifier({{}, {{"set-cookie", "b=2"}}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}}));
}
TEST(HeaderModifier, RemoveRemovesAllFieldsCaseInsensitively) {
  http::Headers h = headers({{"x-r", "1"}, {"Keep", "k"}, {"X-R", "2"}});
  applyHeaderModifier({{}, {}, {"X-r"}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"Keep", "k"}}));
}
TEST(HeaderModifier, RemoveRunsBeforeSet) {
  http::Headers h = headers({{"a", "old"}});
  applyHeaderModifier({{{"a", "new"}}, {}, {"a"}}, h);
  EXPECT_EQ(h.joined("a"), "new");
}
TEST(HeaderModifier, SetRunsBeforeAdd) {
  http::Headers h = headers({{"a", "old"}});
  applyHeaderModifier({{{"a", "set"}}, {{"a", "added"}}, {}}, h);
  EXPECT_EQ(h.joined("a"), "set,added");
}
TEST(HeaderModifier, OnlyFirstSetEntryOfANameCounts) {
  http::Headers h;
  applyHeaderModifier({{{"a", "1"}, {"A", "2"}}, {}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"a", "1"}}));
}
TEST(HeaderModifier, OnlyFirstAddEntryOfANameCounts) {
  http::Headers h;
  applyHeaderModifier({{}, {{"a", "1"}, {"A", "2"}}, {}}, h);
  EXPECT_EQ(h.fields(), (Fields{{"a", "1"}}));
}

// ---- redirect -------------------------------------------------------------------------------

snapshot::Filters redirectFilter(snapshot::RequestRedirect r) { return {std::move(r)}; }
http::Request req(std::string path, std::string authority = "Example.COM:8080", uint16_t listenerPort = 8080,
                  std::string scheme = "http") {
  http::Request r = testing::request(std::move(path), {}, "GET", std::move(authority));
  r.listener_port = listenerPort;
  r.scheme = std::move(scheme);
  return r;
}
std::string location(const snapshot::Filters& f, const http::Request& r, snapshot::PathMatch matched = M().prefix("/").m.path) {
  std::optional<http::Response> resp = answerFor(f, matched, r);
  if (!resp) return "<none>";
  const std::string* l = resp->headers.find("Location");
  return l ? *l : "<no location>";
}

TEST(Redirect, NoRedirectFilterGivesNullopt) { EXPECT_FALSE(answerFor({}, M().prefix("/").m.path, req("/")).has_value()); }
TEST(Redirect, DefaultStatusIs302) {
  EXPECT_EQ(answerFor(redirectFilter({}), M().prefix("/").m.path, req("/"))->status, 302);
}
TEST(Redirect, StatusCodeIsTaken) {
  snapshot::RequestRedirect r;
  r.status_code = 308;
  EXPECT_EQ(answerFor(redirectFilter(r), M().prefix("/").m.path, req("/"))->status, 308);
}
TEST(Redirect, DefaultsKeepRequestSchemeHostListenerPortPathAndQuery) {
  EXPECT_EQ(location(redirectFilter({}), req("/a/b?x=1&y")), "http://example.com:8080/a/b?x=1&y");
}
TEST(Redirect, ListenerPortNotRequestPortIsUsed) {
  EXPECT_EQ(location(redirectFilter({}), req("/a", "example.com:9999", 8080)), "http://example.com:8080/a");
}
TEST(Redirect, WellKnownListenerPortIsOmitted) { EXPECT_EQ(location(redirectFilter({}), req("/a", "example.com", 80)), "http://example.com/a"); }
TEST(Redirect, HttpsListenerPort443IsOmitted) {
  EXPECT_EQ(location(redirectFilter({}), req("/a", "example.com", 443, "https")), "https://example.com/a");
}
TEST(Redirect, SchemeChangeUsesWellKnownPortOfNewScheme) {
  snapshot::RequestRedirect r;
  r.scheme = "https";
  EXPECT_EQ(location(redirectFilter(r), req("/a")), "https://example.com/a");
}
TEST(Redirect, ExplicitPortIsShownUnlessWellKnown) {
  snapshot::RequestRedirect r;
  r.port = 8443;
  EXPECT_EQ(location(redirectFilter(r), req("/a")), "http://example.com:8443/a");
  r.port = 80;
  EXPECT_EQ(location(redirectFilter(r), req("/a")), "http://example.com/a");
}
TEST(Redirect, Port443IsShownForHttp) {
  snapshot::RequestRedirect r;
  r.port = 443;
  EXPECT_EQ(location(redirectFilter(r), req("/a")), "http://example.com:443/a");
}
TEST(Redirect, UnknownListenerPortIsOmitted) { EXPECT_EQ(location(redirectFilter({}), req("/a", "example.com", 0)), "http://example.com/a"); }
TEST(Redirect, Ipv6HostKeepsBrackets) {
  EXPECT_EQ(location(redirectFilter({}), req("/a", "[2001:db8::1]:8080")), "http://[2001:db8::1]:8080/a");
}
TEST(Redirect, NoHostGivesRelativeLocation) { EXPECT_EQ(location(redirectFilter({}), req("/a?q", "")), "/a?q"); }
TEST(Redirect, FullPathKeepsQuery) {
  snapshot::RequestRedirect r;
  r.path = PathModifier{PathModifier::Type::ReplaceFullPath, "/new"};
  EXPECT_EQ(location(redirectFilter(r), req("/old/x?q=1")), "http://example.com:8080/new?q=1");
}
TEST(Redirect, PrefixReplacementIsRelativeToMatchedPrefix) {
  snapshot::RequestRedirect r;
  r.path = PathModifier{PathModifier::Type::ReplacePrefixMatch, "/v2"};
  EXPECT_EQ(location(redirectFilter(r), req("/v1/items?q=1"), M().prefix("/v1").m.path), "http://example.com:8080/v2/items?q=1");
}
TEST(Redirect, PrefixReplacementKeepsTrailingSlash) {
  snapshot::RequestRedirect r;
  r.path = PathModifier{PathModifier::Type::ReplacePrefixMatch, "/xyz"};
  EXPECT_EQ(location(redirectFilter(r), req("/foo/"), M().prefix("/foo").m.path), "http://example.com:8080/xyz/");
}

// ---- request filters: URL rewrite -----------------------------------------------------------

snapshot::Filters rewriteFilter(std::optional<std::string> host, std::optional<PathModifier> path) {
  return {snapshot::UrlRewrite{std::move(host), std::move(path)}};
}

TEST(UrlRewrite, HostnameReplacesAuthorityIncludingPort) {
  http::Request r = req("/a");
  applyRequestFilters(rewriteFilter("backend.internal", {}), M().prefix("/").m.path, r);
  EXPECT_EQ(r.authority, "backend.internal");
  EXPECT_EQ(r.path, "/a");
}
TEST(UrlRewrite, PrefixRewriteKeepsQuery) {
  http::Request r = req("/api/v1/x?y=1");
  applyRequestFilters(rewriteFilter({}, PathModifier{PathModifier::Type::ReplacePrefixMatch, "/"}), M().prefix("/api").m.path, r);
  EXPECT_EQ(r.path, "/v1/x?y=1");
}
TEST(UrlRewrite, FullPathRewriteKeepsQuery) {
  http::Request r = req("/api/v1/x?y=1");
  applyRequestFilters(rewriteFilter({}, PathModifier{PathModifier::Type::ReplaceFullPath, "/z"}), M().prefix("/api").m.path, r);
  EXPECT_EQ(r.path, "/z?y=1");
}
TEST(UrlRewrite, NoRewriteLeavesRequestAlone) {
  http::Request r = req("/a?b");
  applyRequestFilters({}, M().prefix("/").m.path, r);
  EXPECT_EQ(r.path, "/a?b");
  EXPECT_EQ(r.authority, "Example.COM:8080");
}
TEST(RequestFilters, EveryRequestFilterOfTheListApplies) {
  const snapshot::Filters f{snapshot::UrlRewrite{"h", {}}, snapshot::RequestHeaderModifier{{{{"X", "1"}}, {}, {}}}};
  http::Request r = req("/");
  applyRequestFilters(f, M().prefix("/").m.path, r);
  EXPECT_EQ(r.headers.joined("x"), "1");
  EXPECT_EQ(r.authority, "h");
}
TEST(RequestFilters, ResponseModifierDoesNotTouchRequest) {
  const snapshot::Filters f{snapshot::ResponseHeaderModifier{{{{"X", "1"}}, {}, {}}}};
  http::Request r = req("/");
  applyRequestFilters(f, M().prefix("/").m.path, r);
  EXPECT_FALSE(r.headers.contains("x"));
}
TEST(RequestFilters, MirrorWithoutASelectionChangesNothing) {
  const snapshot::Filters f{snapshot::RequestMirror{0, 100, 100}};
  http::Request r = req("/a?b");
  applyRequestFilters(f, M().prefix("/").m.path, r);
  EXPECT_EQ(r.path, "/a?b");
  EXPECT_EQ(r.authority, "Example.COM:8080");
}
TEST(ResponseFilters, RequestModifierDoesNotTouchResponse) {
  const snapshot::Filters f{snapshot::RequestHeaderModifier{{{{"X", "1"}}, {}, {}}}};
  http::Response resp;
  applyResponseFilters(f, req("/"), resp);
  EXPECT_FALSE(resp.headers.contains("x"));
}
TEST(ResponseFilters, OnlyAResponseHeaderModifierIsAResponseFilter) {
  EXPECT_FALSE(hasResponseFilters({}));
  EXPECT_FALSE(hasResponseFilters({snapshot::RequestHeaderModifier{}, snapshot::UrlRewrite{}, snapshot::RequestMirror{},
                                   snapshot::RequestRedirect{}}));
  EXPECT_TRUE(hasResponseFilters({snapshot::RequestHeaderModifier{}, snapshot::ResponseHeaderModifier{}}));
}
TEST(Redirect, AnswerComesFromTheRedirectWhereverItIsListed) {
  snapshot::RequestRedirect redirect;
  redirect.status_code = 301;
  const snapshot::Filters f{snapshot::RequestHeaderModifier{{{{"X", "1"}}, {}, {}}}, redirect};
  EXPECT_EQ(answerFor(f, M().prefix("/").m.path, req("/"))->status, 301);
}

}  // namespace
}  // namespace gatehouse::filters
