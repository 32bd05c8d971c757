// The CORS filter's steps: preflights answered by the gateway, origin matching (exact, label
// wildcard, "*"), "*" method and header lists, credentials, expose headers, max-age, and the
// headers added to actual responses. The cases mirror the HTTPRouteCORS conformance test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/filters/filters.h"

namespace gatehouse::filters {
namespace {

const snapshot::PathMatch kAnyPath{};

snapshot::Filters exampleCors() {
  return {snapshot::Cors{{"https://www.foo.com", "https://*.bar.com"},
                         {"GET", "OPTIONS"},
                         {"x-header-1", "x-header-2"},
                         {"x-header-3", "x-header-4"},
                         true,
                         3600}};
}

snapshot::Filters wildcardCors(bool credentials) {
  return {snapshot::Cors{{"*"}, {"*"}, {"*"}, {}, credentials, 5}};
}

http::Request request(std::string method, std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = std::move(method);
  r.scheme = "http";
  r.authority = "example.com";
  r.path = "/cors";
  for (auto& [name, value] : headers) r.headers.add(name, value);
  return r;
}

http::Request preflight(const std::string& origin, const std::string& method = "GET") {
  return request("OPTIONS", {{"origin", origin},
                             {"access-control-request-method", method},
                             {"access-control-request-headers", "x-header-1, x-header-2"}});
}

http::Response actual(const snapshot::Filters& filters, const http::Request& req) {
  http::Response response;
  applyResponseFilters(filters, req, response);
  return response;
}

TEST(CorsPreflight, ExactOriginGetsEveryHeader) {
  auto answer = answerFor(exampleCors(), kAnyPath, preflight("https://www.foo.com"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 204);
  const auto& h = answer->headers;
  EXPECT_EQ(h.joined("access-control-allow-origin"), "https://www.foo.com");
  EXPECT_EQ(h.joined("access-control-allow-methods"), "GET, OPTIONS");
  EXPECT_EQ(h.joined("access-control-allow-headers"), "x-header-1, x-header-2");
  EXPECT_EQ(h.joined("access-control-expose-headers"), "x-header-3, x-header-4");
  EXPECT_EQ(h.joined("access-control-max-age"), "3600");
  EXPECT_EQ(h.joined("access-control-allow-credentials"), "true");
  EXPECT_EQ(h.joined("vary"), "Origin");
  EXPECT_TRUE(answer->body.empty());
}

TEST(CorsPreflight, WildcardOriginMatchesOneOrMoreLabels) {
  for (const char* origin : {"https://www.bar.com", "https://xpto.www.bar.com", "HTTPS://WWW.BAR.COM"}) {
    auto answer = answerFor(exampleCors(), kAnyPath, preflight(origin));
    ASSERT_TRUE(answer) << origin;
    EXPECT_EQ(answer->headers.joined("access-control-allow-origin"), origin);
  }
}

TEST(CorsPreflight, OtherOriginsAreAnsweredWithoutCorsHeaders) {
  for (const char* origin : {"https://foobar.com", "https://bar.com", "http://www.bar.com", "https://www.bar.com:8443",
                             "https://evil.com/.bar.com", "https://.bar.com", "https://www.foo.com.evil"}) {
    auto answer = answerFor(exampleCors(), kAnyPath, preflight(origin));
    ASSERT_TRUE(answer) << origin;  // still answered here: never forwarded
    EXPECT_EQ(answer->status, 204);
    EXPECT_FALSE(answer->headers.contains("access-control-allow-origin")) << origin;
    EXPECT_FALSE(answer->headers.contains("access-control-allow-credentials")) << origin;
  }
}

TEST(CorsPreflight, OnlyOptionsWithOriginAndRequestMethodIsAPreflight) {
  EXPECT_FALSE(answerFor(exampleCors(), kAnyPath, request("OPTIONS", {{"origin", "https://www.foo.com"}})));
  EXPECT_FALSE(answerFor(exampleCors(), kAnyPath, request("OPTIONS", {{"access-control-request-method", "GET"}})));
  EXPECT_FALSE(answerFor(exampleCors(), kAnyPath,
                         request("GET", {{"origin", "https://www.foo.com"}, {"access-control-request-method", "GET"}})));
}

TEST(CorsPreflight, StarListsEchoWhatThePreflightAsks) {
  for (bool credentials : {true, false}) {
    auto answer = answerFor(wildcardCors(credentials), kAnyPath, preflight("https://other.foo.com", "PUT"));
    ASSERT_TRUE(answer);
    const auto& h = answer->headers;
    EXPECT_EQ(h.joined("access-control-allow-origin"), "https://other.foo.com");
    EXPECT_EQ(h.joined("access-control-allow-methods"), "PUT");
    EXPECT_EQ(h.joined("access-control-allow-headers"), "x-header-1, x-header-2");
    EXPECT_EQ(h.contains("access-control-allow-credentials"), credentials);
    EXPECT_EQ(h.joined("access-control-max-age"), "5");
    EXPECT_FALSE(h.contains("access-control-expose-headers"));
  }
}

TEST(CorsPreflight, NoRequestHeadersNoAllowHeaders) {
  auto answer = answerFor(wildcardCors(false), kAnyPath,
                          request("OPTIONS", {{"origin", "https://a.com"}, {"access-control-request-method", "PUT"}}));
  ASSERT_TRUE(answer);
  EXPECT_FALSE(answer->headers.contains("access-control-allow-headers"));
}

TEST(CorsActualRequest, AllowedOriginGetsOriginCredentialsAndExposeHeaders) {
  auto response = actual(exampleCors(), request("GET", {{"origin", "https://www.bar.com"}}));
  EXPECT_EQ(response.headers.joined("access-control-allow-origin"), "https://www.bar.com");
  EXPECT_EQ(response.headers.joined("access-control-allow-credentials"), "true");
  EXPECT_EQ(response.headers.joined("access-control-expose-headers"), "x-header-3, x-header-4");
  EXPECT_EQ(response.headers.joined("vary"), "Origin");
  EXPECT_FALSE(response.headers.contains("access-control-allow-methods"));
  EXPECT_FALSE(response.headers.contains("access-control-max-age"));
}

TEST(CorsActualRequest, OtherOriginGetsOnlyVary) {
  auto response = actual(exampleCors(), request("GET", {{"origin", "https://foobar.com"}}));
  EXPECT_FALSE(response.headers.contains("access-control-allow-origin"));
  EXPECT_EQ(response.headers.joined("vary"), "Origin");
}

TEST(CorsActualRequest, NoOriginNoHeaders) {
  auto response = actual(exampleCors(), request("GET", {}));
  EXPECT_EQ(response.headers.size(), 0u);
}

TEST(CorsActualRequest, UpstreamCorsHeadersAreReplaced) {
  http::Response response;
  response.headers.add("Access-Control-Allow-Origin", "*");
  applyResponseFilters(wildcardCors(false), request("PUT", {{"origin", "https://foobar.com"}}), response);
  EXPECT_EQ(response.headers.joined("access-control-allow-origin"), "https://foobar.com");
  EXPECT_FALSE(response.headers.contains("access-control-allow-credentials"));
}

TEST(CorsActualRequest, IsAResponseFilter) { EXPECT_TRUE(hasResponseFilters(exampleCors())); }

}  // namespace
}  // namespace gatehouse::filters
