// Every traffic expectation of the upstream matching conformance cases
// (../shared/conformance/cases/httproute-*.case.yaml, Gateway API v1.6.1), reproduced on
// hand-built snapshots: the routes of the case's manifest are added in manifest order, sorted by
// precedes(), and each request must reach the expected backend (or get a 404).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "dataplane/http/router.h"
#include "../route_fixtures.h"

namespace gatehouse::http {
namespace {

using testing::kNotFound;
using testing::kV1;
using testing::kV2;
using testing::kV3;
using testing::M;
using testing::TableBuilder;

struct Case {
  std::string name;  // test name suffix
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  uint32_t expected;
  std::string host = "gateway.example";
};

std::string caseName(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

// ---- httproute-matching ---------------------------------------------------------------------

snapshot::Socket matchingSocket() {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/"), M().header("version", "one")});
  t.rule(kV2, {M().prefix("/v2"), M().header("version", "two")});
  return testing::socketWith(t.build());
}

class HTTPRouteMatching : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteMatching, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(matchingSocket(), testing::request(c.path, c.headers, c.method, c.host)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(Conformance, HTTPRouteMatching,
                         ::testing::Values(Case{"Root", "GET", "/", {}, kV1},                                //
                                           Case{"Example", "GET", "/example", {}, kV1},                      //
                                           Case{"RootVersionOne", "GET", "/", {{"Version", "one"}}, kV1},    //
                                           Case{"V2", "GET", "/v2", {}, kV2},                                //
                                           Case{"V2Example", "GET", "/v2/example", {}, kV2},                 //
                                           Case{"RootVersionTwo", "GET", "/", {{"Version", "two"}}, kV2},    //
                                           Case{"V2TrailingSlash", "GET", "/v2/", {}, kV2},                  //
                                           Case{"V2exampleIsNotV2", "GET", "/v2example", {}, kV1},           //
                                           Case{"FooV2Example", "GET", "/foo/v2/example", {}, kV1}),
                         caseName);

// ---- httproute-matching-across-routes -------------------------------------------------------

// matching-part1 (example.com, example.net) and matching-part2 (example.com): the translator
// merges both routes' rules into the table of each host they share.
snapshot::Socket acrossRoutesSocket() {
  TableBuilder com;
  com.rule(kV1, {M().prefix("/"), M().header("version", "one")}, {}, "gateway-conformance-infra/matching-part1");
  com.rule(kV2, {M().prefix("/v2"), M().header("version", "two")}, {}, "gateway-conformance-infra/matching-part2");
  TableBuilder net;
  net.rule(kV1, {M().prefix("/"), M().header("version", "one")}, {}, "gateway-conformance-infra/matching-part1");
  snapshot::Socket s;
  snapshot::Listener l;
  l.hosts.setExact("example.com", std::make_shared<snapshot::RouteTable>(com.build()));
  l.hosts.setExact("example.net", std::make_shared<snapshot::RouteTable>(net.build()));
  s.listeners.push_back(std::move(l));
  return s;
}

class HTTPRouteMatchingAcrossRoutes : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteMatchingAcrossRoutes, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(acrossRoutesSocket(), testing::request(c.path, c.headers, c.method, c.host)),
            c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteMatchingAcrossRoutes,
    ::testing::Values(Case{"ComRoot", "GET", "/", {}, kV1, "example.com"},
                      Case{"ComExample", "GET", "/example", {}, kV1, "example.com"},
                      Case{"NetExample", "GET", "/example", {}, kV1, "example.net"},
                      Case{"ComExampleVersionOne", "GET", "/example", {{"Version", "one"}}, kV1, "example.com"},
                      Case{"ComV2", "GET", "/v2", {}, kV2, "example.com"},
                      Case{"NetV2", "GET", "/v2", {}, kV1, "example.net"},
                      Case{"ComV2Example", "GET", "/v2/example", {}, kV2, "example.com"},
                      Case{"ComRootVersionTwo", "GET", "/", {{"Version", "two"}}, kV2, "example.com"}),
    caseName);

// ---- httproute-exact-path-matching ----------------------------------------------------------

snapshot::Socket exactSocket() {
  TableBuilder t;
  t.rule(kV1, {M().exact("/one")});
  t.rule(kV2, {M().exact("/two")});
  return testing::socketWith(t.build());
}

class HTTPRouteExactPathMatching : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteExactPathMatching, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(exactSocket(), testing::request(c.path, c.headers, c.method)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(Conformance, HTTPRouteExactPathMatching,
                         ::testing::Values(Case{"One", "GET", "/one", {}, kV1},                     //
                                           Case{"Two", "GET", "/two", {}, kV2},                     //
                                           Case{"Root", "GET", "/", {}, kNotFound},                 //
                                           Case{"OneExample", "GET", "/one/example", {}, kNotFound},  //
                                           Case{"TwoTrailingSlash", "GET", "/two/", {}, kNotFound},   //
                                           Case{"CapitalTwo", "GET", "/Two", {}, kNotFound}),
                         caseName);

// ---- httproute-path-match-order -------------------------------------------------------------

snapshot::RouteTable pathMatchOrderTable() {
  TableBuilder t;
  t.rule(kV1, {M().exact("/match")});
  t.rule(kV2, {M().exact("/match/exact")});
  t.rule(kV3, {M().exact("/match/exact/one")});
  t.rule(kV3, {M().prefix("/match/")});
  t.rule(kV1, {M().prefix("/match/prefix/")});
  t.rule(kV2, {M().prefix("/match/prefix/one")});
  return t.build();
}

TEST(HTTPRoutePathMatchOrder, SortsExactsFirstThenLongestPrefix) {
  snapshot::RouteTable t = pathMatchOrderTable();
  std::vector<std::string> order;
  for (const auto& e : t.entries) order.push_back(e.match.path.value);
  EXPECT_EQ(order, (std::vector<std::string>{"/match/exact/one", "/match/exact", "/match", "/match/prefix/one",
                                             "/match/prefix/", "/match/"}));
}

class HTTPRoutePathMatchOrder : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRoutePathMatchOrder, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(testing::socketWith(pathMatchOrderTable()), testing::request(c.path, c.headers, c.method)),
            c.expected);
}
INSTANTIATE_TEST_SUITE_P(Conformance, HTTPRoutePathMatchOrder,
                         ::testing::Values(Case{"ExactOne", "GET", "/match/exact/one", {}, kV3},       //
                                           Case{"Exact", "GET", "/match/exact", {}, kV2},              //
                                           Case{"Match", "GET", "/match", {}, kV1},                    //
                                           Case{"PrefixOneAny", "GET", "/match/prefix/one/any", {}, kV2},  //
                                           Case{"PrefixAny", "GET", "/match/prefix/any", {}, kV1},     //
                                           Case{"Any", "GET", "/match/any", {}, kV3}),
                         caseName);

// ---- httproute-header-matching --------------------------------------------------------------

snapshot::Socket headerSocket() {
  TableBuilder t;
  t.rule(kV1, {M().header("version", "one")});
  t.rule(kV2, {M().header("version", "two")});
  t.rule(kV1, {M().header("version", "two").header("color", "orange")});
  t.rule(kV1, {M().header("color", "blue"), M().header("color", "green")});
  t.rule(kV2, {M().header("color", "red"), M().header("color", "yellow")});
  return testing::socketWith(t.build());
}

class HTTPRouteHeaderMatching : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteHeaderMatching, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(headerSocket(), testing::request(c.path, c.headers, c.method)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteHeaderMatching,
    ::testing::Values(Case{"VersionOne", "GET", "/", {{"Version", "one"}}, kV1},
                      Case{"VersionTwo", "GET", "/", {{"Version", "two"}}, kV2},
                      Case{"VersionTwoColorOrange", "GET", "/", {{"Version", "two"}, {"Color", "orange"}}, kV1},
                      Case{"VersionTwoColorBlue", "GET", "/", {{"Version", "two"}, {"Color", "blue"}}, kV2},
                      Case{"ColorOrange", "GET", "/", {{"Color", "orange"}}, kNotFound},
                      Case{"SomeOtherHeader", "GET", "/", {{"Some-Other-Header", "one"}}, kNotFound},
                      Case{"ColorBlue", "GET", "/", {{"Color", "blue"}}, kV1},
                      Case{"ColorGreen", "GET", "/", {{"Color", "green"}}, kV1},
                      Case{"ColorRed", "GET", "/", {{"Color", "red"}}, kV2},
                      Case{"ColorYellow", "GET", "/", {{"Color", "yellow"}}, kV2},
                      Case{"ColorPurple", "GET", "/", {{"Color", "purple"}}, kNotFound}),
    caseName);

// ---- httproute-query-param-matching ---------------------------------------------------------

snapshot::Socket queryParamSocket() {
  TableBuilder t;
  t.rule(kV1, {M().query("animal", "whale")});
  t.rule(kV2, {M().query("animal", "dolphin")});
  t.rule(kV3, {M().query("animal", "dolphin").query("color", "blue"), M().query("ANIMAL", "Whale")});
  t.rule(kV1, {M().prefix("/path1").query("animal", "whale")});
  t.rule(kV2, {M().header("version", "one").query("animal", "whale")});
  t.rule(kV3, {M().prefix("/path2").header("version", "two").query("animal", "whale")});
  t.rule(kV1, {M().prefix("/path3").query("animal", "shark"),
               M().prefix("/path4").header("version", "three").query("animal", "kraken")});
  t.rule(kV1, {M().prefix("/path5")});
  t.rule(kV2, {M().query("animal", "hydra")});
  t.rule(kV3, {M().header("version", "four")});
  return testing::socketWith(t.build());
}

class HTTPRouteQueryParamMatching : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteQueryParamMatching, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(queryParamSocket(), testing::request(c.path, c.headers, c.method)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteQueryParamMatching,
    ::testing::Values(Case{"Whale", "GET", "/?animal=whale", {}, kV1},
                      Case{"Dolphin", "GET", "/?animal=dolphin", {}, kV2},
                      Case{"DolphinBlue", "GET", "/?animal=dolphin&color=blue", {}, kV3},
                      Case{"UpperCaseWhale", "GET", "/?ANIMAL=Whale", {}, kV3},
                      Case{"WhaleOtherParam", "GET", "/?animal=whale&otherparam=irrelevant", {}, kV1},
                      Case{"DolphinYellow", "GET", "/?animal=dolphin&color=yellow", {}, kV2},
                      Case{"BlueOnly", "GET", "/?color=blue", {}, kNotFound},
                      Case{"Dog", "GET", "/?animal=dog", {}, kNotFound},
                      Case{"WhaleDolphin", "GET", "/?animal=whaledolphin", {}, kNotFound},
                      Case{"NoQuery", "GET", "/", {}, kNotFound},
                      Case{"Path1Whale", "GET", "/path1?animal=whale", {}, kV1},
                      Case{"WhaleVersionOne", "GET", "/?animal=whale", {{"version", "one"}}, kV2},
                      Case{"Path2WhaleVersionTwo", "GET", "/path2?animal=whale", {{"version", "two"}}, kV3},
                      Case{"Path3Shark", "GET", "/path3?animal=shark", {}, kV1},
                      Case{"Path4KrakenVersionThree", "GET", "/path4?animal=kraken", {{"version", "three"}}, kV1},
                      Case{"SharkWithoutPath", "GET", "/?animal=shark", {}, kNotFound},
                      Case{"Path4KrakenWithoutHeader", "GET", "/path4?animal=kraken", {}, kNotFound},
                      Case{"Path5Hydra", "GET", "/path5?animal=hydra", {}, kV1},
                      Case{"HydraVersionFour", "GET", "/?animal=hydra", {{"version", "four"}}, kV3}),
    caseName);

// ---- httproute-method-matching --------------------------------------------------------------

snapshot::Socket methodSocket() {
  TableBuilder t;
  t.rule(kV1, {M().method("POST")});
  t.rule(kV2, {M().method("GET")});
  t.rule(kV1, {M().prefix("/path1").method("GET")});
  t.rule(kV2, {M().header("version", "one").method("PUT")});
  t.rule(kV3, {M().prefix("/path2").header("version", "two").method("POST")});
  t.rule(kV1, {M().prefix("/path3").method("PATCH"), M().prefix("/path4").header("version", "three").method("DELETE")});
  t.rule(kV1, {M().prefix("/path5")});
  t.rule(kV2, {M().method("PATCH")});
  t.rule(kV3, {M().header("version", "four")});
  return testing::socketWith(t.build());
}

class HTTPRouteMethodMatching : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteMethodMatching, RoutesToExpectedBackend) {
  const Case& c = GetParam();
  EXPECT_EQ(testing::routedTo(methodSocket(), testing::request(c.path, c.headers, c.method)), c.expected);
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteMethodMatching,
    ::testing::Values(Case{"Post", "POST", "/", {}, kV1},  //
                      Case{"Get", "GET", "/", {}, kV2},    //
                      Case{"Head", "HEAD", "/", {}, kNotFound},
                      Case{"GetPath1", "GET", "/path1", {}, kV1},
                      Case{"PutVersionOne", "PUT", "/", {{"version", "one"}}, kV2},
                      Case{"PostPath2VersionTwo", "POST", "/path2", {{"version", "two"}}, kV3},
                      Case{"PatchPath3", "PATCH", "/path3", {}, kV1},
                      Case{"DeletePath4VersionThree", "DELETE", "/path4", {{"version", "three"}}, kV1},
                      Case{"PutWithoutHeader", "PUT", "/", {}, kNotFound},
                      Case{"DeletePath4WithoutHeader", "DELETE", "/path4", {}, kNotFound},
                      Case{"PatchPath5", "PATCH", "/path5", {}, kV1},
                      Case{"PatchVersionFour", "PATCH", "/", {{"version", "four"}}, kV2}),
    caseName);

}  // namespace
}  // namespace gatehouse::http
