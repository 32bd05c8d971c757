#include "dataplane/http/router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../route_fixtures.h"

namespace gatehouse::http {
namespace {

using testing::kNotFound;
using testing::kV1;
using testing::kV2;
using testing::M;
using testing::TableBuilder;

// ---- host normalisation ---------------------------------------------------------------------

TEST(HostWithoutPort, StripsPort) { EXPECT_EQ(hostWithoutPort("example.com:8080"), "example.com"); }
TEST(HostWithoutPort, LowerCases) { EXPECT_EQ(hostWithoutPort("ExAmple.COM"), "example.com"); }
TEST(HostWithoutPort, StripsTrailingDot) { EXPECT_EQ(hostWithoutPort("example.com.:80"), "example.com"); }
TEST(HostWithoutPort, KeepsIpv6Brackets) { EXPECT_EQ(hostWithoutPort("[2001:DB8::1]:8443"), "[2001:db8::1]"); }
TEST(HostWithoutPort, Ipv6WithoutPort) { EXPECT_EQ(hostWithoutPort("[::1]"), "[::1]"); }
TEST(HostWithoutPort, EmptyStaysEmpty) { EXPECT_EQ(hostWithoutPort(""), ""); }

// ---- listener selection ---------------------------------------------------------------------

snapshot::Listener listener(std::string hostname) {
  snapshot::Listener l;
  l.name = hostname.empty() ? "empty" : hostname;
  l.hostname = std::move(hostname);
  return l;
}

// The GatewayHTTPListenerIsolation layout; deliberately not in specificity order.
snapshot::Socket isolationSocket() {
  snapshot::Socket s;
  s.listeners = {listener(""), listener("*.example.com"), listener("abc.foo.example.com"),
                 listener("*.foo.example.com")};
  return s;
}

std::string selected(const snapshot::Socket& s, std::string host) {
  const snapshot::Listener* l = selectListener(s, host);
  return l ? l->name : "<none>";
}

TEST(SelectListener, ExactHostnameWins) { EXPECT_EQ(selected(isolationSocket(), "abc.foo.example.com"), "abc.foo.example.com"); }
TEST(SelectListener, LongestWildcardWins) { EXPECT_EQ(selected(isolationSocket(), "bar.foo.example.com"), "*.foo.example.com"); }
TEST(SelectListener, WildcardMatchesOneLabel) { EXPECT_EQ(selected(isolationSocket(), "bar.example.com"), "*.example.com"); }
TEST(SelectListener, WildcardMatchesSeveralLabels) {
  EXPECT_EQ(selected(isolationSocket(), "a.b.c.example.com"), "*.example.com");
}
TEST(SelectListener, WildcardDoesNotMatchItsBareSuffix) { EXPECT_EQ(selected(isolationSocket(), "example.com"), "empty"); }
TEST(SelectListener, OtherHostsFallBackToHostnameLessListener) { EXPECT_EQ(selected(isolationSocket(), "bar.com"), "empty"); }
TEST(SelectListener, NoMatchWithoutHostnameLessListener) {
  snapshot::Socket s;
  s.listeners = {listener("a.example.com"), listener("*.example.net")};
  EXPECT_EQ(selected(s, "b.example.com"), "<none>");
}
// The Gateway API's HTTPRouteHTTPSListenerDetectMisdirectedRequests layout.
snapshot::Socket misdirectedSocket() {
  snapshot::Socket s;
  s.listeners = {listener(""), listener("second-example.org"), listener("*.wildcard.org"),
                 listener("fourth-example.wildcard.org")};
  return s;
}

bool misdirectedFor(std::string server_name, std::string host) {
  const snapshot::Socket s = misdirectedSocket();
  return misdirected(s, server_name, selectListener(s, host));
}

TEST(Misdirected, SameListenerIsNot) {
  EXPECT_FALSE(misdirectedFor("example.org", "example.org"));
  EXPECT_FALSE(misdirectedFor("third-example.wildcard.org", "fith-example.wildcard.org"));
  EXPECT_FALSE(misdirectedFor("unknown-example.org", "example.org"));  // both hostname-less
}
TEST(Misdirected, AuthorityOfAnotherListenerIs) {
  EXPECT_TRUE(misdirectedFor("example.org", "second-example.org"));
  EXPECT_TRUE(misdirectedFor("second-example.org", "example.org"));
  EXPECT_TRUE(misdirectedFor("third-example.wildcard.org", "fourth-example.wildcard.org"));  // more specific
  EXPECT_TRUE(misdirectedFor("fourth-example.wildcard.org", "fith-example.wildcard.org"));
}
TEST(Misdirected, ServerNameIsCaseInsensitiveAndMayEndWithADot) {
  EXPECT_FALSE(misdirectedFor("Second-Example.ORG.", "second-example.org"));
}
TEST(Misdirected, NoServerNameOrNoListenerIsNot) {
  EXPECT_FALSE(misdirectedFor("", "second-example.org"));
  snapshot::Socket s;
  s.listeners = {listener("a.example.com")};
  EXPECT_FALSE(misdirected(s, "a.example.com", selectListener(s, "b.example.com")));  // 404, not 421
}
TEST(Misdirected, ServerNameOfNoListenerAndAuthorityOfOneIs) {
  snapshot::Socket s;
  s.listeners = {listener("a.example.com")};
  EXPECT_TRUE(misdirected(s, "b.example.com", selectListener(s, "a.example.com")));
}

TEST(SelectListener, SuffixMustStartAtLabelBoundary) {
  snapshot::Socket s;
  s.listeners = {listener("*.example.com")};
  EXPECT_EQ(selected(s, "badexample.com"), "<none>");
}

TEST(Route, NoListenerGivesNullListener) {
  snapshot::Socket s;
  s.listeners = {listener("a.example.com")};
  RouteResult r = route(s, testing::request("/", {}, "GET", "b.example.com"));
  EXPECT_EQ(r.listener, nullptr);
  EXPECT_EQ(r.rule, nullptr);
}

TEST(Route, ListenerChosenByHostCaseInsensitivelyWithPort) {
  snapshot::Socket s = isolationSocket();
  RouteResult r = route(s, testing::request("/", {}, "GET", "ABC.Foo.Example.com.:80"));
  ASSERT_NE(r.listener, nullptr);
  EXPECT_EQ(r.listener->name, "abc.foo.example.com");
}

TEST(Route, OverlongHostOnlyReachesHostnameLessListener) {
  snapshot::Socket s = isolationSocket();
  RouteResult r = route(s, testing::request("/", {}, "GET", std::string(300, 'a') + ".example.com"));
  ASSERT_NE(r.listener, nullptr);
  EXPECT_EQ(r.listener->name, "empty");
}

// ---- host table selection -------------------------------------------------------------------

// Four distinct tables, told apart by their rule's route name "0".."3".
snapshot::RouteTablePtr numbered(int n) {
  auto t = std::make_shared<snapshot::RouteTable>();
  t->rules.emplace_back().route = std::to_string(n);
  return t;
}
snapshot::HostTable hostTable() {
  snapshot::HostTable h;
  h.setExact("www.example.com", numbered(0));
  h.wildcard_suffix = {{".foo.example.com", numbered(1)}, {".example.com", numbered(2)}};
  h.any = numbered(3);
  return h;
}
long tableIndex(const snapshot::HostTable& h, std::string_view host) {
  const snapshot::RouteTable* t = selectTable(h, host);
  return t ? std::stol(t->rules.at(0).route) : -1;
}

TEST(SelectTable, ExactFirst) { EXPECT_EQ(tableIndex(hostTable(), "www.example.com"), 0); }
TEST(SelectTable, LongestWildcardSuffix) { EXPECT_EQ(tableIndex(hostTable(), "a.foo.example.com"), 1); }
TEST(SelectTable, ShorterWildcardSuffix) { EXPECT_EQ(tableIndex(hostTable(), "a.example.com"), 2); }
TEST(SelectTable, AnyLast) { EXPECT_EQ(tableIndex(hostTable(), "other.net"), 3); }
TEST(SelectTable, WildcardDoesNotMatchBareSuffix) { EXPECT_EQ(tableIndex(hostTable(), "foo.example.com"), 2); }
TEST(SelectTable, NoneWithoutAny) {
  snapshot::HostTable h = hostTable();
  h.any.reset();
  EXPECT_EQ(tableIndex(h, "other.net"), -1);
}
TEST(SelectTable, RemovedExactHostFallsThrough) {
  snapshot::HostTable h = hostTable();
  h.setExact("www.example.com", nullptr);
  EXPECT_EQ(tableIndex(h, "www.example.com"), 2);
  EXPECT_EQ(h.exactCount(), 0u);
}
TEST(SelectTable, ChangingACopyLeavesTheOriginal) {
  snapshot::HostTable h = hostTable();
  snapshot::HostTable copy = h;
  copy.setExact("www.example.com", numbered(3));
  copy.setExact("new.example.com", numbered(1));
  EXPECT_EQ(tableIndex(h, "www.example.com"), 0);
  EXPECT_EQ(tableIndex(h, "new.example.com"), 2);
  EXPECT_EQ(tableIndex(copy, "www.example.com"), 3);
  EXPECT_EQ(tableIndex(copy, "new.example.com"), 1);
}
TEST(SelectTable, ManyExactHosts) {
  snapshot::HostTable h;
  for (int i = 0; i < 1000; ++i) h.setExact("h" + std::to_string(i) + ".example", numbered(i % 4));
  EXPECT_EQ(h.exactCount(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(tableIndex(h, "h" + std::to_string(i) + ".example"), i % 4);
  EXPECT_EQ(tableIndex(h, "h1000.example"), -1);
}

TEST(Route, HostWithNoTableGivesListenerButNoRule) {
  snapshot::Socket s;
  snapshot::Listener l;
  l.hosts.setExact("a.example.com", std::make_shared<snapshot::RouteTable>());
  s.listeners.push_back(l);
  RouteResult r = route(s, testing::request("/", {}, "GET", "b.example.com"));
  EXPECT_NE(r.listener, nullptr);
  EXPECT_EQ(r.entry, nullptr);
  EXPECT_EQ(r.rule, nullptr);
}

// ---- matching -------------------------------------------------------------------------------

bool matchesRequest(snapshot::RouteMatch m, Request r) { return matches(m, r); }
Request req(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  return testing::request(std::move(path), std::move(headers));
}

TEST(Matches, ExactPathIgnoresQuery) { EXPECT_TRUE(matchesRequest(M().exact("/a"), req("/a?x=1"))); }
TEST(Matches, ExactPathRejectsTrailingSlash) { EXPECT_FALSE(matchesRequest(M().exact("/a"), req("/a/"))); }
TEST(Matches, PrefixIgnoresQuery) { EXPECT_TRUE(matchesRequest(M().prefix("/a"), req("/a?/b"))); }
TEST(Matches, PrefixIsElementWise) { EXPECT_FALSE(matchesRequest(M().prefix("/a"), req("/ab"))); }
TEST(Matches, PrefixWithTrailingSlashMatchesBarePath) { EXPECT_TRUE(matchesRequest(M().prefix("/foo/"), req("/foo"))); }
TEST(Matches, RegexIsFullMatch) {
  EXPECT_TRUE(matchesRequest(M().regex("/v[0-9]+/.*"), req("/v12/items")));
  EXPECT_FALSE(matchesRequest(M().regex("/v[0-9]+"), req("/v12/items")));
}
TEST(Matches, RegexSeesPathWithoutQuery) { EXPECT_TRUE(matchesRequest(M().regex("/a"), req("/a?b"))); }
TEST(Matches, InvalidRegexNeverMatches) {
  snapshot::RouteMatch m = M().prefix("/");
  m.path = {snapshot::PathMatch::Type::RegularExpression, "(", nullptr};
  EXPECT_FALSE(matchesRequest(m, req("/")));
}
TEST(Matches, MethodIsCaseSensitive) {
  Request r = req("/");
  r.method = "get";
  EXPECT_FALSE(matchesRequest(M().method("GET"), r));
}
TEST(Matches, HeaderNameIsCaseInsensitive) { EXPECT_TRUE(matchesRequest(M().header("x-v", "1"), req("/", {{"X-V", "1"}}))); }
TEST(Matches, HeaderValueIsCaseSensitive) { EXPECT_FALSE(matchesRequest(M().header("x-v", "a"), req("/", {{"x-v", "A"}}))); }
TEST(Matches, MissingHeaderDoesNotMatch) { EXPECT_FALSE(matchesRequest(M().header("x-v", "1"), req("/"))); }
TEST(Matches, RepeatedHeaderMatchesJoinedValue) {
  EXPECT_TRUE(matchesRequest(M().header("x-v", "1,2"), req("/", {{"x-v", "1"}, {"X-V", "2"}})));
}
TEST(Matches, RepeatedHeaderDoesNotMatchFirstValueAlone) {
  EXPECT_FALSE(matchesRequest(M().header("x-v", "1"), req("/", {{"x-v", "1"}, {"x-v", "2"}})));
}
TEST(Matches, RepeatedHeaderDoesNotMatchLongerExpectation) {
  EXPECT_FALSE(matchesRequest(M().header("x-v", "1,2,3"), req("/", {{"x-v", "1"}, {"x-v", "2"}})));
}
TEST(Matches, RepeatedHeaderRegexSeesJoinedValue) {
  EXPECT_TRUE(matchesRequest(M().headerRegex("x-v", "1,[0-9]"), req("/", {{"x-v", "1"}, {"x-v", "2"}})));
}
TEST(Matches, HeaderRegexIsFullMatch) {
  EXPECT_TRUE(matchesRequest(M().headerRegex("x-v", "v[0-9]"), req("/", {{"x-v", "v1"}})));
  EXPECT_FALSE(matchesRequest(M().headerRegex("x-v", "v[0-9]"), req("/", {{"x-v", "v10"}})));
}
TEST(Matches, OnlyFirstHeaderEntryOfANameCounts) {
  EXPECT_TRUE(matchesRequest(M().header("x-v", "1").header("X-V", "2"), req("/", {{"x-v", "1"}})));
}
TEST(Matches, HostHeaderMatchesAuthority) {
  Request r = req("/");
  r.authority = "example.com:8080";
  EXPECT_TRUE(matchesRequest(M().header("host", "example.com:8080"), r));
}
TEST(Matches, QueryParamFirstOccurrenceWins) {
  EXPECT_TRUE(matchesRequest(M().query("a", "1"), req("/?a=1&a=2")));
  EXPECT_FALSE(matchesRequest(M().query("a", "2"), req("/?a=1&a=2")));
}
TEST(Matches, QueryParamValueIsPercentDecoded) { EXPECT_TRUE(matchesRequest(M().query("q", "a b"), req("/?q=a%20b"))); }
TEST(Matches, QueryParamRegexOnDecodedValue) { EXPECT_TRUE(matchesRequest(M().queryRegex("q", "a b+"), req("/?q=a%20bb"))); }
TEST(Matches, QueryParamRegexIsFullMatch) { EXPECT_FALSE(matchesRequest(M().queryRegex("q", "a"), req("/?q=ab"))); }
TEST(Matches, OnlyFirstQueryParamEntryOfANameCounts) {
  EXPECT_TRUE(matchesRequest(M().query("a", "1").query("a", "2"), req("/?a=1")));
}
TEST(Matches, AllConditionsAreAnded) {
  snapshot::RouteMatch m = M().prefix("/p").method("POST").header("h", "1").query("q", "1");
  Request ok = req("/p/x?q=1", {{"h", "1"}});
  ok.method = "POST";
  EXPECT_TRUE(matchesRequest(m, ok));
  Request wrongMethod = ok;
  wrongMethod.method = "GET";
  EXPECT_FALSE(matchesRequest(m, wrongMethod));
}

// ---- route: first entry in precedence order -------------------------------------------------

TEST(Route, FirstMatchingEntryWins) {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/")});
  t.rule(kV2, {M().prefix("/api")});
  EXPECT_EQ(testing::routedTo(testing::socketWith(t.build()), testing::request("/api/x")), kV2);
}

TEST(Route, NoMatchingEntryGivesListenerWithoutRule) {
  TableBuilder t;
  t.rule(kV1, {M().exact("/only")});
  snapshot::Socket s = testing::socketWith(t.build());
  RouteResult r = route(s, testing::request("/other"));
  EXPECT_NE(r.listener, nullptr);
  EXPECT_EQ(r.rule, nullptr);
  EXPECT_EQ(testing::routedTo(s, testing::request("/other")), kNotFound);
}

TEST(Route, ResultPointsIntoTheSnapshot) {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/a")});
  snapshot::Socket s = testing::socketWith(t.build());
  RouteResult r = route(s, testing::request("/a"));
  const snapshot::RouteTable& table = *s.listeners[0].hosts.any;
  EXPECT_EQ(r.entry, &table.entries[0]);
  EXPECT_EQ(r.rule, &table.rules[0]);
}

TEST(Route, EntryWithOutOfRangeRuleIsSkipped) {
  snapshot::RouteTable t;
  t.entries.push_back({M().prefix("/"), 7});
  snapshot::Socket s = testing::socketWith(t);
  EXPECT_EQ(route(s, testing::request("/")).rule, nullptr);
}

// ---- pickBackend ----------------------------------------------------------------------------

snapshot::Rule weighted(std::vector<uint32_t> weights) {
  snapshot::Rule r;
  uint32_t cluster = 0;
  for (uint32_t w : weights) {
    r.backends.push_back({cluster++, w, {}});
    r.total_weight += w;
  }
  return r;
}
uint32_t picked(const snapshot::Rule& r, uint64_t random) {
  const snapshot::WeightedBackend* b = pickBackend(r, random);
  return b ? *b->cluster : 99;
}

TEST(PickBackend, NoBackendsGivesNull) { EXPECT_EQ(pickBackend(weighted({}), 0), nullptr); }
TEST(PickBackend, AllZeroWeightsGiveNull) { EXPECT_EQ(pickBackend(weighted({0, 0}), 123), nullptr); }
TEST(PickBackend, LowestDrawPicksFirst) { EXPECT_EQ(picked(weighted({1, 1}), 0), 0u); }
TEST(PickBackend, HighestDrawPicksLast) { EXPECT_EQ(picked(weighted({1, 1}), UINT64_MAX), 1u); }
TEST(PickBackend, SkipsZeroWeight) {
  EXPECT_EQ(picked(weighted({0, 5}), 0), 1u);
  EXPECT_EQ(picked(weighted({5, 0}), UINT64_MAX), 0u);
}
TEST(PickBackend, SplitsTheDrawRangeByWeight) {
  snapshot::Rule r = weighted({1, 3});  // [0, 1/4) -> 0, [1/4, 1) -> 1
  EXPECT_EQ(picked(r, (UINT64_MAX / 4) - 1), 0u);
  EXPECT_EQ(picked(r, (UINT64_MAX / 4) + 1), 1u);
}
TEST(PickBackend, DistributionFollowsWeights) {
  snapshot::Rule r = weighted({70, 20, 10});
  std::vector<int> counts(3);
  constexpr int kDraws = 10000;
  for (int i = 0; i < kDraws; ++i) {
    // Evenly spread draws: ceil(i * 2^64 / kDraws).
    uint64_t random = static_cast<uint64_t>(((static_cast<unsigned __int128>(i) << 64) + kDraws - 1) / kDraws);
    ++counts[picked(r, random)];
  }
  EXPECT_EQ(counts, (std::vector<int>{7000, 2000, 1000}));
}

}  // namespace
}  // namespace gatehouse::http
