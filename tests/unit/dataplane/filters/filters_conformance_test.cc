// Every traffic expectation of the upstream redirect, rewrite and header modifier conformance
// cases (../shared/conformance/cases/, Gateway API v1.6.1) on hand-built snapshots: the
// request is routed, then the winning rule's filters are applied as the connection manager does.
// Locations are asserted in full (the cases check scheme/host/port/path separately, allowing an
// omitted default port; we assert the port is omitted).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../route_fixtures.h"
#include "dataplane/filters/filters.h"
#include "dataplane/http/router.h"

namespace gatehouse::filters {
namespace {

using snapshot::PathModifier;
using testing::kV1;
using testing::kV2;
using testing::M;
using testing::TableBuilder;

// The request phase of one filter list, with no mirroring.
void applyRequestFilters(const snapshot::Filters& filters, const snapshot::PathMatch& matched, http::Request& request) {
  RequestFilterContext context{matched, request};
  filters::applyRequestFilters(filters, context);
}

snapshot::Filters redirect(std::optional<std::string> scheme, std::optional<std::string> hostname,
                           std::optional<uint16_t> port, uint16_t status = 302,
                           std::optional<PathModifier> path = std::nullopt) {
  return {snapshot::RequestRedirect{std::move(scheme), std::move(hostname), std::move(path), port, status}};
}
PathModifier fullPath(std::string v) { return {PathModifier::Type::ReplaceFullPath, std::move(v)}; }
PathModifier prefixPath(std::string v) { return {PathModifier::Type::ReplacePrefixMatch, std::move(v)}; }

struct RedirectCase {
  std::string name;
  std::string path;
  uint16_t status;
  std::string location;
};
std::string redirectName(const ::testing::TestParamInfo<RedirectCase>& info) { return info.param.name; }

// Routes `req` and returns the redirect of the winning rule (status 0 when none).
std::pair<uint16_t, std::string> redirectOf(const snapshot::Socket& socket, const http::Request& req) {
  http::RouteResult r = http::route(socket, req);
  if (r.rule == nullptr) return {0, "no route"};
  std::optional<http::Response> resp = answerFor(r.rule->filters, r.entry->match.path, req);
  if (!resp) return {0, "no redirect"};
  const std::string* location = resp->headers.find("location");
  return {resp->status, location ? *location : "no location"};
}

http::Request gatewayRequest(std::string path, std::string scheme = "http", std::string authority = "192.0.2.10",
                             uint16_t listenerPort = 80) {
  http::Request r = testing::request(std::move(path), {}, "GET", std::move(authority));
  r.scheme = std::move(scheme);
  r.listener_port = listenerPort;
  return r;
}

// ---- httproute-redirect-host-and-status -----------------------------------------------------

snapshot::Socket hostAndStatusSocket() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/hostname-redirect")}, redirect({}, "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/host-and-status")}, redirect({}, "example.org", {}, 301));
  return testing::socketWith(t.build());
}
class HTTPRouteRedirectHostAndStatus : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectHostAndStatus, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(hostAndStatusSocket(), gatewayRequest(c.path)), std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectHostAndStatus,
    ::testing::Values(RedirectCase{"Hostname", "/hostname-redirect", 302, "http://example.org/hostname-redirect"},
                      RedirectCase{"HostAndStatus", "/host-and-status", 301, "http://example.org/host-and-status"}),
    redirectName);

// ---- httproute-redirect-path ----------------------------------------------------------------

snapshot::Socket redirectPathSocket() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/original-prefix")}, redirect({}, {}, {}, 302, prefixPath("/replacement-prefix")));
  t.ruleWithoutBackends({M().prefix("/full")}, redirect({}, {}, {}, 302, fullPath("/full-path-replacement")));
  t.ruleWithoutBackends({M().prefix("/path-and-host")},
                        redirect({}, "example.org", {}, 302, prefixPath("/replacement-prefix")));
  t.ruleWithoutBackends({M().prefix("/path-and-status")}, redirect({}, {}, {}, 301, prefixPath("/replacement-prefix")));
  t.ruleWithoutBackends({M().prefix("/full-path-and-host")},
                        redirect({}, "example.org", {}, 302, fullPath("/replacement-full")));
  t.ruleWithoutBackends({M().prefix("/full-path-and-status")}, redirect({}, {}, {}, 301, fullPath("/replacement-full")));
  return testing::socketWith(t.build());
}
class HTTPRouteRedirectPath : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectPath, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(redirectPathSocket(), gatewayRequest(c.path)), std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectPath,
    ::testing::Values(
        RedirectCase{"ReplacePrefix", "/original-prefix/lemon", 302, "http://192.0.2.10/replacement-prefix/lemon"},
        RedirectCase{"ReplaceFull", "/full/path/original", 302, "http://192.0.2.10/full-path-replacement"},
        RedirectCase{"PathAndHost", "/path-and-host", 302, "http://example.org/replacement-prefix"},
        RedirectCase{"PathAndStatus", "/path-and-status", 301, "http://192.0.2.10/replacement-prefix"},
        RedirectCase{"FullPathAndHost", "/full-path-and-host", 302, "http://example.org/replacement-full"},
        RedirectCase{"FullPathAndStatus", "/full-path-and-status", 301, "http://192.0.2.10/replacement-full"}),
    redirectName);

// ---- httproute-redirect-port ----------------------------------------------------------------

snapshot::Socket redirectPortSocket() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/port")}, redirect({}, {}, 8083));
  t.ruleWithoutBackends({M().prefix("/port-and-host")}, redirect({}, "example.org", 8083));
  t.ruleWithoutBackends({M().prefix("/port-and-status")}, redirect({}, {}, 8083, 301));
  t.ruleWithoutBackends({M().prefix("/port-and-host-and-status")}, redirect({}, "example.org", 8083, 302));
  return testing::socketWith(t.build());
}
class HTTPRouteRedirectPort : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectPort, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(redirectPortSocket(), gatewayRequest(c.path)), std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectPort,
    ::testing::Values(
        RedirectCase{"Port", "/port", 302, "http://192.0.2.10:8083/port"},
        RedirectCase{"PortAndHost", "/port-and-host", 302, "http://example.org:8083/port-and-host"},
        RedirectCase{"PortAndStatus", "/port-and-status", 301, "http://192.0.2.10:8083/port-and-status"},
        RedirectCase{"PortHostStatus", "/port-and-host-and-status", 302, "http://example.org:8083/port-and-host-and-status"}),
    redirectName);

// ---- httproute-redirect-scheme --------------------------------------------------------------

snapshot::Socket redirectSchemeSocket() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/scheme")}, redirect("https", {}, {}));
  t.ruleWithoutBackends({M().prefix("/scheme-and-host")}, redirect("https", "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-and-status")}, redirect("https", {}, {}, 301));
  t.ruleWithoutBackends({M().prefix("/scheme-and-host-and-status")}, redirect("https", "example.org", {}, 302));
  return testing::socketWith(t.build());
}
class HTTPRouteRedirectScheme : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectScheme, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(redirectSchemeSocket(), gatewayRequest(c.path)), std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectScheme,
    ::testing::Values(
        RedirectCase{"Scheme", "/scheme", 302, "https://192.0.2.10/scheme"},
        RedirectCase{"SchemeAndHost", "/scheme-and-host", 302, "https://example.org/scheme-and-host"},
        RedirectCase{"SchemeAndStatus", "/scheme-and-status", 301, "https://192.0.2.10/scheme-and-status"},
        RedirectCase{"SchemeHostStatus", "/scheme-and-host-and-status", 302, "https://example.org/scheme-and-host-and-status"}),
    redirectName);

// ---- httproute-redirect-port-and-scheme -----------------------------------------------------

snapshot::Socket portAndScheme80() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-nil")}, redirect({}, "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-80")}, redirect({}, "example.org", 80));
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-8080")}, redirect({}, "example.org", 8080));
  t.ruleWithoutBackends({M().prefix("/scheme-https-and-port-nil")}, redirect("https", "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-https-and-port-443")}, redirect("https", "example.org", 443));
  t.ruleWithoutBackends({M().prefix("/scheme-https-and-port-8443")}, redirect("https", "example.org", 8443));
  return testing::socketWith(t.build(), 80);
}
snapshot::Socket portAndScheme8080() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-nil")}, redirect({}, "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-80")}, redirect({}, "example.org", 80));
  t.ruleWithoutBackends({M().prefix("/scheme-https-and-port-nil")}, redirect("https", "example.org", {}));
  return testing::socketWith(t.build(), 8080);
}
snapshot::Socket portAndScheme443() {
  TableBuilder t;
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-nil")}, redirect({}, "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-443")}, redirect({}, "example.org", 443));
  t.ruleWithoutBackends({M().prefix("/scheme-nil-and-port-8443")}, redirect({}, "example.org", 8443));
  t.ruleWithoutBackends({M().prefix("/scheme-http-and-port-nil")}, redirect("http", "example.org", {}));
  t.ruleWithoutBackends({M().prefix("/scheme-http-and-port-80")}, redirect("http", "example.org", 80));
  t.ruleWithoutBackends({M().prefix("/scheme-http-and-port-8080")}, redirect("http", "example.org", 8080));
  snapshot::Socket s = testing::socketWith(t.build(), 443);
  s.transport = snapshot::Transport::Tls;
  return s;
}

class HTTPRouteRedirectPortAndSchemeListener80 : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectPortAndSchemeListener80, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(portAndScheme80(), gatewayRequest(c.path, "http", "192.0.2.10", 80)),
            std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectPortAndSchemeListener80,
    ::testing::Values(
        RedirectCase{"SchemeNilPortNil", "/scheme-nil-and-port-nil", 302, "http://example.org/scheme-nil-and-port-nil"},
        RedirectCase{"SchemeNilPort80", "/scheme-nil-and-port-80", 302, "http://example.org/scheme-nil-and-port-80"},
        RedirectCase{"SchemeNilPort8080", "/scheme-nil-and-port-8080", 302,
                     "http://example.org:8080/scheme-nil-and-port-8080"},
        RedirectCase{"SchemeHttpsPortNil", "/scheme-https-and-port-nil", 302,
                     "https://example.org/scheme-https-and-port-nil"},
        RedirectCase{"SchemeHttpsPort443", "/scheme-https-and-port-443", 302,
                     "https://example.org/scheme-https-and-port-443"},
        RedirectCase{"SchemeHttpsPort8443", "/scheme-https-and-port-8443", 302,
                     "https://example.org:8443/scheme-https-and-port-8443"}),
    redirectName);

class HTTPRouteRedirectPortAndSchemeListener8080 : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectPortAndSchemeListener8080, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(portAndScheme8080(), gatewayRequest(c.path, "http", "192.0.2.11:8080", 8080)),
            std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectPortAndSchemeListener8080,
    ::testing::Values(RedirectCase{"SchemeNilPortNil", "/scheme-nil-and-port-nil", 302,
                                   "http://example.org:8080/scheme-nil-and-port-nil"},
                      RedirectCase{"SchemeNilPort80", "/scheme-nil-and-port-80", 302,
                                   "http://example.org/scheme-nil-and-port-80"},
                      RedirectCase{"SchemeHttpsPortNil", "/scheme-https-and-port-nil", 302,
                                   "https://example.org/scheme-https-and-port-nil"}),
    redirectName);

class HTTPRouteRedirectPortAndSchemeListener443 : public ::testing::TestWithParam<RedirectCase> {};
TEST_P(HTTPRouteRedirectPortAndSchemeListener443, Redirects) {
  const RedirectCase& c = GetParam();
  EXPECT_EQ(redirectOf(portAndScheme443(), gatewayRequest(c.path, "https", "example.org", 443)),
            std::make_pair(c.status, c.location));
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRedirectPortAndSchemeListener443,
    ::testing::Values(
        RedirectCase{"SchemeNilPortNil", "/scheme-nil-and-port-nil", 302, "https://example.org/scheme-nil-and-port-nil"},
        RedirectCase{"SchemeNilPort443", "/scheme-nil-and-port-443", 302, "https://example.org/scheme-nil-and-port-443"},
        RedirectCase{"SchemeNilPort8443", "/scheme-nil-and-port-8443", 302,
                     "https://example.org:8443/scheme-nil-and-port-8443"},
        RedirectCase{"SchemeHttpPortNil", "/scheme-http-and-port-nil", 302, "http://example.org/scheme-http-and-port-nil"},
        RedirectCase{"SchemeHttpPort80", "/scheme-http-and-port-80", 302, "http://example.org/scheme-http-and-port-80"},
        RedirectCase{"SchemeHttpPort8080", "/scheme-http-and-port-8080", 302,
                     "http://example.org:8080/scheme-http-and-port-8080"}),
    redirectName);

// ---- forwarding cases: rewrite-path, rewrite-host, request/response header modifiers --------

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ForwardCase {
  std::string name;
  std::string path;
  HeaderList requestHeaders;
  uint32_t backend;
  std::string upstreamPath;
  std::string upstreamAuthority;          // empty: unchanged
  std::map<std::string, std::string> expectHeaders;  // name -> values joined with ","
  std::vector<std::string> absentHeaders;
};
std::string forwardName(const ::testing::TestParamInfo<ForwardCase>& info) { return info.param.name; }

// Routes, applies the rule's request filters and checks what goes upstream.
void expectForwarded(const snapshot::Socket& socket, const ForwardCase& c, const std::string& authority) {
  http::Request req = testing::request(c.path, c.requestHeaders, "GET", authority);
  http::RouteResult r = http::route(socket, req);
  ASSERT_NE(r.rule, nullptr);
  ASSERT_EQ(r.rule->backends.size(), 1u);
  EXPECT_EQ(r.rule->backends[0].cluster, c.backend);
  EXPECT_FALSE(answerFor(r.rule->filters, r.entry->match.path, req).has_value());
  applyRequestFilters(r.rule->filters, r.entry->match.path, req);
  EXPECT_EQ(req.path, c.upstreamPath);
  EXPECT_EQ(req.authority, c.upstreamAuthority.empty() ? authority : c.upstreamAuthority);
  for (const auto& [name, value] : c.expectHeaders) {
    EXPECT_EQ(req.headers.joined(name), value) << name;
    EXPECT_TRUE(req.headers.contains(name)) << name;
  }
  for (const auto& name : c.absentHeaders) EXPECT_FALSE(req.headers.contains(name)) << name;
}

snapshot::HeaderModifier modifier(HeaderList set, HeaderList add, std::vector<std::string> remove) {
  return {std::move(set), std::move(add), std::move(remove)};
}

const snapshot::HeaderModifier kRewriteHeaders = modifier({{"X-Header-Set", "set-overwrites-values"}},
                                                          {{"X-Header-Add", "header-val-1"}, {"X-Header-Add-Append", "header-val-2"}},
                                                          {"X-Header-Remove"});

snapshot::Filters rewrite(std::optional<std::string> hostname, std::optional<PathModifier> path,
                          snapshot::HeaderModifier headers = {}) {
  snapshot::Filters f{snapshot::UrlRewrite{std::move(hostname), std::move(path)}};
  if (!headers.empty()) f.push_back(snapshot::RequestHeaderModifier{std::move(headers)});
  return f;
}

snapshot::Socket rewritePathSocket() {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/prefix/one")}, rewrite({}, prefixPath("/one")));
  t.rule(kV1, {M().prefix("/strip-prefix")}, rewrite({}, prefixPath("/")));
  t.rule(kV1, {M().prefix("/full/one")}, rewrite({}, fullPath("/one")));
  t.rule(kV1, {M().prefix("/full/rewrite-path-and-modify-headers")}, rewrite({}, fullPath("/test"), kRewriteHeaders));
  t.rule(kV1, {M().prefix("/prefix/rewrite-path-and-modify-headers")}, rewrite({}, prefixPath("/prefix"), kRewriteHeaders));
  return testing::socketWith(t.build());
}

const HeaderList kRewriteRequestHeaders = {
    {"X-Header-Remove", "remove-val"}, {"X-Header-Add-Append", "append-val-1"}, {"X-Header-Set", "set-val"}};
const std::map<std::string, std::string> kRewriteExpected = {{"X-Header-Add", "header-val-1"},
                                                             {"X-Header-Add-Append", "append-val-1,header-val-2"},
                                                             {"X-Header-Set", "set-overwrites-values"}};

class HTTPRouteRewritePath : public ::testing::TestWithParam<ForwardCase> {};
TEST_P(HTTPRouteRewritePath, Forwards) { expectForwarded(rewritePathSocket(), GetParam(), "192.0.2.10"); }
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRewritePath,
    ::testing::Values(ForwardCase{"PrefixOneTwo", "/prefix/one/two", {}, kV1, "/one/two", "", {}, {}},
                      ForwardCase{"StripPrefixThree", "/strip-prefix/three", {}, kV1, "/three", "", {}, {}},
                      ForwardCase{"StripPrefix", "/strip-prefix", {}, kV1, "/", "", {}, {}},
                      ForwardCase{"FullOneTwo", "/full/one/two", {}, kV1, "/one", "", {}, {}},
                      ForwardCase{"FullAndHeaders", "/full/rewrite-path-and-modify-headers/test", kRewriteRequestHeaders,
                                  kV1, "/test", "", kRewriteExpected, {"X-Header-Remove"}},
                      ForwardCase{"PrefixAndHeaders", "/prefix/rewrite-path-and-modify-headers/one",
                                  kRewriteRequestHeaders, kV1, "/prefix/one", "", kRewriteExpected, {"X-Header-Remove"}}),
    forwardName);

snapshot::Socket rewriteHostSocket() {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/one")}, rewrite("one.example.org", {}));
  t.rule(kV2, {}, rewrite("example.org", {}));
  t.rule(kV2, {M().prefix("/rewrite-host-and-modify-headers")}, rewrite("test.example.org", {}, kRewriteHeaders));
  snapshot::Socket s;
  snapshot::Listener l;
  l.hosts.setExact("rewrite.example", std::make_shared<snapshot::RouteTable>(t.build()));
  s.listeners.push_back(std::move(l));
  return s;
}

class HTTPRouteRewriteHost : public ::testing::TestWithParam<ForwardCase> {};
TEST_P(HTTPRouteRewriteHost, Forwards) { expectForwarded(rewriteHostSocket(), GetParam(), "rewrite.example"); }
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRewriteHost,
    ::testing::Values(ForwardCase{"One", "/one", {}, kV1, "/one", "one.example.org", {}, {}},
                      ForwardCase{"Two", "/two", {}, kV2, "/two", "example.org", {}, {}},
                      ForwardCase{"HostAndHeaders",
                                  "/rewrite-host-and-modify-headers",
                                  {{"X-Header-Remove", "remove-val"}, {"X-Header-Add-Append", "append-val-1"}},
                                  kV2,
                                  "/rewrite-host-and-modify-headers",
                                  "test.example.org",
                                  kRewriteExpected,
                                  {"X-Header-Remove"}}),
    forwardName);

snapshot::Filters requestHeaders(snapshot::HeaderModifier m) { return {snapshot::RequestHeaderModifier{std::move(m)}}; }

snapshot::Socket requestHeaderModifierSocket() {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/set")}, requestHeaders(modifier({{"X-Header-Set", "set-overwrites-values"}}, {}, {})));
  t.rule(kV1, {M().prefix("/add")}, requestHeaders(modifier({}, {{"X-Header-Add", "add-appends-values"}}, {})));
  t.rule(kV1, {M().prefix("/remove")}, requestHeaders(modifier({}, {}, {"X-Header-Remove"})));
  t.rule(kV1, {M().prefix("/multiple")},
         requestHeaders(modifier({{"X-Header-Set-1", "header-set-1"}, {"X-Header-Set-2", "header-set-2"}},
                                 {{"X-Header-Add-1", "header-add-1"},
                                  {"X-Header-Add-2", "header-add-2"},
                                  {"X-Header-Add-3", "header-add-3"}},
                                 {"X-Header-Remove-1", "X-Header-Remove-2"})));
  t.rule(kV1, {M().prefix("/case-insensitivity")},
         requestHeaders(
             modifier({{"X-Header-Set", "header-set"}}, {{"X-Header-Add", "header-add"}}, {"X-Header-Remove"})));
  return testing::socketWith(t.build());
}

class HTTPRouteRequestHeaderModifier : public ::testing::TestWithParam<ForwardCase> {};
TEST_P(HTTPRouteRequestHeaderModifier, Forwards) {
  expectForwarded(requestHeaderModifierSocket(), GetParam(), "192.0.2.10");
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteRequestHeaderModifier,
    ::testing::Values(
        ForwardCase{"SetNew", "/set", {{"Some-Other-Header", "val"}}, kV1, "/set", "",
                    {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}, {}},
        ForwardCase{"SetOverwrites", "/set", {{"Some-Other-Header", "val"}, {"X-Header-Set", "some-other-value"}}, kV1,
                    "/set", "", {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}, {}},
        ForwardCase{"AddNew", "/add", {{"Some-Other-Header", "val"}}, kV1, "/add", "",
                    {{"Some-Other-Header", "val"}, {"X-Header-Add", "add-appends-values"}}, {}},
        ForwardCase{"AddAppends", "/add", {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value"}}, kV1,
                    "/add", "", {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value,add-appends-values"}},
                    {}},
        ForwardCase{"Remove", "/remove", {{"X-Header-Remove", "val"}}, kV1, "/remove", "", {}, {"X-Header-Remove"}},
        ForwardCase{"Multiple",
                    "/multiple",
                    {{"X-Header-Set-2", "set-val-2"},
                     {"X-Header-Add-2", "add-val-2"},
                     {"X-Header-Remove-2", "remove-val-2"},
                     {"Another-Header", "another-header-val"}},
                    kV1,
                    "/multiple",
                    "",
                    {{"X-Header-Set-1", "header-set-1"},
                     {"X-Header-Set-2", "header-set-2"},
                     {"X-Header-Add-1", "header-add-1"},
                     {"X-Header-Add-2", "add-val-2,header-add-2"},
                     {"X-Header-Add-3", "header-add-3"},
                     {"Another-Header", "another-header-val"}},
                    {"X-Header-Remove-1", "X-Header-Remove-2"}},
        ForwardCase{"CaseInsensitivity",
                    "/case-insensitivity",
                    {{"x-header-set", "original-val-set"},
                     {"x-header-add", "original-val-add"},
                     {"x-header-remove", "original-val-remove"},
                     {"Another-Header", "another-header-val"}},
                    kV1,
                    "/case-insensitivity",
                    "",
                    {{"X-Header-Set", "header-set"},
                     {"X-Header-Add", "original-val-add,header-add"},
                     {"Another-Header", "another-header-val"}},
                    {"x-header-remove", "X-Header-Remove"}}),
    forwardName);

// ---- httproute-response-header-modifier -----------------------------------------------------

struct ResponseCase {
  std::string name;
  std::string path;
  HeaderList backendResponseHeaders;
  std::map<std::string, std::string> expectHeaders;
  std::vector<std::string> absentHeaders;
};
std::string responseName(const ::testing::TestParamInfo<ResponseCase>& info) { return info.param.name; }

snapshot::Filters responseHeaders(snapshot::HeaderModifier m) { return {snapshot::ResponseHeaderModifier{std::move(m)}}; }

snapshot::Socket responseHeaderModifierSocket() {
  TableBuilder t;
  t.rule(kV1, {M().prefix("/set")}, responseHeaders(modifier({{"X-Header-Set", "set-overwrites-values"}}, {}, {})));
  t.rule(kV1, {M().prefix("/add")}, responseHeaders(modifier({}, {{"X-Header-Add", "add-appends-values"}}, {})));
  t.rule(kV1, {M().prefix("/remove")}, responseHeaders(modifier({}, {}, {"X-Header-Remove"})));
  t.rule(kV1, {M().prefix("/multiple")},
         responseHeaders(modifier({{"X-Header-Set-1", "header-set-1"}, {"X-Header-Set-2", "header-set-2"}},
                                  {{"X-Header-Add-1", "header-add-1"},
                                   {"X-Header-Add-2", "header-add-2"},
                                   {"X-Header-Add-3", "header-add-3"}},
                                  {"X-Header-Remove-1", "X-Header-Remove-2"})));
  t.rule(kV1, {M().prefix("/case-insensitivity")},
         responseHeaders(modifier({{"X-Header-Set", "header-set"}},
                                  {{"X-Header-Add", "header-add"},
                                   {"x-lowercase-add", "lowercase-add"},
                                   {"x-Mixedcase-ADD-1", "mixedcase-add-1"},
                                   {"X-mixeDcase-add-2", "mixedcase-add-2"},
                                   {"X-UPPERCASE-ADD", "uppercase-add"}},
                                  {"X-Header-Remove"})));
  snapshot::Filters both = responseHeaders(modifier({{"X-Header-Set-1", "header-set-1"}, {"X-Header-Set-2", "header-set-2"}},
                                                    {{"X-Header-Add-1", "header-add-1"}, {"X-Header-Add-2", "header-add-2"}},
                                                    {"X-Header-Remove-1", "X-Header-Remove-2"}));
  both.push_back(snapshot::RequestHeaderModifier{kRewriteHeaders});
  t.rule(kV1, {M().prefix("/response-and-request-header-modifiers")}, both);
  return testing::socketWith(t.build());
}

class HTTPRouteResponseHeaderModifier : public ::testing::TestWithParam<ResponseCase> {};
TEST_P(HTTPRouteResponseHeaderModifier, ModifiesResponse) {
  const ResponseCase& c = GetParam();
  snapshot::Socket socket = responseHeaderModifierSocket();
  http::RouteResult r = http::route(socket, testing::request(c.path));
  ASSERT_NE(r.rule, nullptr);
  http::Response resp;
  for (const auto& [n, v] : c.backendResponseHeaders) resp.headers.add(n, v);
  applyResponseFilters(r.rule->filters, testing::request(c.path), resp);
  for (const auto& [name, value] : c.expectHeaders) EXPECT_EQ(resp.headers.joined(name), value) << name;
  for (const auto& name : c.absentHeaders) EXPECT_FALSE(resp.headers.contains(name)) << name;
}
INSTANTIATE_TEST_SUITE_P(
    Conformance, HTTPRouteResponseHeaderModifier,
    ::testing::Values(
        ResponseCase{"SetNew", "/set", {{"Some-Other-Header", "val"}},
                     {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}, {}},
        ResponseCase{"SetOverwrites", "/set", {{"Some-Other-Header", "val"}, {"X-Header-Set", "some-other-value"}},
                     {{"Some-Other-Header", "val"}, {"X-Header-Set", "set-overwrites-values"}}, {}},
        ResponseCase{"AddNew", "/add", {{"Some-Other-Header", "val"}},
                     {{"Some-Other-Header", "val"}, {"X-Header-Add", "add-appends-values"}}, {}},
        ResponseCase{"AddAppends", "/add", {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value"}},
                     {{"Some-Other-Header", "val"}, {"X-Header-Add", "some-other-value,add-appends-values"}}, {}},
        ResponseCase{"Remove", "/remove", {{"X-Header-Remove", "val"}}, {}, {"X-Header-Remove"}},
        ResponseCase{"Multiple",
                     "/multiple",
                     {{"X-Header-Set-2", "set-val-2"},
                      {"X-Header-Add-2", "add-val-2"},
                      {"X-Header-Remove-2", "remove-val-2"},
                      {"Another-Header", "another-header-val"},
                      {"X-Header-Remove-1", "val"}},
                     {{"X-Header-Set-1", "header-set-1"},
                      {"X-Header-Set-2", "header-set-2"},
                      {"X-Header-Add-1", "header-add-1"},
                      {"X-Header-Add-2", "add-val-2,header-add-2"},
                      {"X-Header-Add-3", "header-add-3"},
                      {"Another-Header", "another-header-val"}},
                     {"X-Header-Remove-1", "X-Header-Remove-2"}},
        ResponseCase{"CaseInsensitivity",
                     "/case-insensitivity",
                     {{"x-header-set", "original-val-set"},
                      {"x-header-add", "original-val-add"},
                      {"x-header-remove", "original-val-remove"},
                      {"Another-Header", "another-header-val"}},
                     {{"X-Header-Set", "header-set"},
                      {"X-Header-Add", "original-val-add,header-add"},
                      {"X-Lowercase-Add", "lowercase-add"},
                      {"X-Mixedcase-Add-1", "mixedcase-add-1"},
                      {"X-Mixedcase-Add-2", "mixedcase-add-2"},
                      {"X-Uppercase-Add", "uppercase-add"},
                      {"Another-Header", "another-header-val"}},
                     {"x-header-remove", "X-Header-Remove"}},
        ResponseCase{"ResponseAndRequestModifiers",
                     "/response-and-request-header-modifiers",
                     {{"X-Header-Set-2", "set-val-2"},
                      {"X-Header-Add-2", "add-val-2"},
                      {"X-Header-Remove-2", "remove-val-2"},
                      {"Another-Header", "another-header-val"},
                      {"X-Header-Remove-1", "remove-val-1"},
                      {"X-Header-Echo", "echo"}},
                     {{"X-Header-Set-1", "header-set-1"},
                      {"X-Header-Set-2", "header-set-2"},
                      {"X-Header-Add-1", "header-add-1"},
                      {"X-Header-Add-2", "add-val-2,header-add-2"},
                      {"Another-Header", "another-header-val"},
                      {"X-Header-Echo", "echo"}},
                     {"X-Header-Remove-1", "X-Header-Remove-2"}}),
    responseName);

// The request half of /response-and-request-header-modifiers.
TEST(HTTPRouteResponseHeaderModifier, ResponseAndRequestModifiersAlsoModifyTheRequest) {
  ForwardCase c{"",
                "/response-and-request-header-modifiers",
                {{"X-Header-Remove", "remove-val"}, {"X-Header-Add-Append", "append-val-1"}, {"X-Header-Echo", "echo"}},
                kV1,
                "/response-and-request-header-modifiers",
                "",
                {{"X-Header-Add", "header-val-1"},
                 {"X-Header-Set", "set-overwrites-values"},
                 {"X-Header-Add-Append", "append-val-1,header-val-2"},
                 {"X-Header-Echo", "echo"}},
                {"X-Header-Remove"}};
  expectForwarded(responseHeaderModifierSocket(), c, "192.0.2.10");
}

}  // namespace
}  // namespace gatehouse::filters
