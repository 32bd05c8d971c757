#include "dataplane/observe/otlp_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {
namespace {

using nlohmann::json;

struct Fixture {
  snapshot::Listener listener{"infra/gw", "http", "", {}, {}};
  snapshot::Rule rule;
  snapshot::Cluster cluster{"apps/web:8080", snapshot::UpstreamProtocol::Http1, {}};
  snapshot::Endpoint endpoint{"10.0.0.7", 9090};
  // 2026-12-07T12:00:00Z on the wall clock is t0 on the steady one.
  std::chrono::system_clock::time_point wall{std::chrono::seconds(1796644800)};
  Clock::time_point t0 = Clock::now();
  RequestContext ctx;

  Fixture() {
    rule.route = "apps/shop";
    rule.index = 1;
    ctx.request.method = "GET";
    ctx.request.scheme = "http";
    ctx.request.authority = "shop.example.com:8080";
    ctx.request.path = "/cart?id=3";
    ctx.request.listener_port = 8080;
    ctx.request.headers.add("User-Agent", "curl/8");
    ctx.started = t0 - std::chrono::milliseconds(30);
    ctx.listener = &listener;
    ctx.rule = &rule;
    ctx.cluster = &cluster;
    ctx.endpoint = &endpoint;
    ctx.upstream_started = t0 - std::chrono::milliseconds(20);
    ctx.status = 200;
    RequestTrace& trace = ctx.trace;
    trace.started = trace.has_trace = trace.propagating = trace.sampled = trace.remote_parent = true;
    trace.trace_id = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")->trace_id;
    trace.parent_id = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
    trace.span_id = {1, 2, 3, 4, 5, 6, 7, 8};
    trace.attempt_id = {9, 10, 11, 12, 13, 14, 15, 16};
  }

  json spans() {
    std::string out = "[";
    count = appendSpans(out, ctx, wall, t0);
    out += "]";
    return json::parse(out);
  }
  size_t count = 0;
};

json attributes(const json& span) {
  json map = json::object();
  for (const json& a : span["attributes"]) map[a["key"].get<std::string>()] = a["value"];
  return map;
}

json str(std::string_view s) { return {{"stringValue", s}}; }
json num(std::string_view s) { return {{"intValue", s}}; }

TEST(OtlpJson, ServerSpanOfAProxiedRequest) {
  Fixture f;
  const json spans = f.spans();
  ASSERT_EQ(f.count, 2u);
  const json& server = spans[0];
  EXPECT_EQ(server["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(server["spanId"], "0102030405060708");
  EXPECT_EQ(server["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(server["name"], "GET");
  EXPECT_EQ(server["kind"], 2);
  EXPECT_EQ(server["startTimeUnixNano"], "1796644799970000000");
  EXPECT_EQ(server["endTimeUnixNano"], "1796644800000000000");
  EXPECT_EQ(server["status"], json::object());
  EXPECT_FALSE(server.contains("traceState"));
  EXPECT_EQ(attributes(server), (json{{"http.request.method", str("GET")},
                                      {"url.scheme", str("http")},
                                      {"url.path", str("/cart")},
                                      {"url.query", str("id=3")},
                                      {"server.address", str("shop.example.com")},
                                      {"server.port", num("8080")},
                                      {"network.protocol.version", str("1.1")},
                                      {"user_agent.original", str("curl/8")},
                                      {"http.response.status_code", num("200")},
                                      {"gatehouse.gateway.namespace", str("infra")},
                                      {"gatehouse.gateway.name", str("gw")},
                                      {"gatehouse.listener", str("http")},
                                      {"gatehouse.route.kind", str("HTTPRoute")},
                                      {"gatehouse.route.namespace", str("apps")},
                                      {"gatehouse.route.name", str("shop")},
                                      {"gatehouse.route.rule", str("1")},
                                      {"gatehouse.backend", str("apps/web:8080")}}));
}

TEST(OtlpJson, ClientSpanIsTheServerSpansChild) {
  Fixture f;
  const json client = f.spans()[1];
  EXPECT_EQ(client["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(client["spanId"], "090a0b0c0d0e0f10");
  EXPECT_EQ(client["parentSpanId"], "0102030405060708");
  EXPECT_EQ(client["kind"], 3);
  EXPECT_EQ(client["startTimeUnixNano"], "1796644799980000000");
  EXPECT_EQ(client["endTimeUnixNano"], "1796644800000000000");
  EXPECT_EQ(attributes(client), (json{{"http.request.method", str("GET")},
                                      {"url.full", str("http://shop.example.com:8080/cart?id=3")},
                                      {"server.address", str("10.0.0.7")},
                                      {"server.port", num("9090")},
                                      {"network.protocol.version", str("1.1")},
                                      {"http.response.status_code", num("200")},
                                      {"gatehouse.backend", str("apps/web:8080")}}));
}

TEST(OtlpJson, UpstreamFailureMarksBothSpansAsErrors) {
  Fixture f;
  f.ctx.status = 503;
  f.ctx.error = ProxyError::of(ErrorKind::ConnectFailed);
  const json spans = f.spans();
  EXPECT_EQ(spans[0]["status"], (json{{"code", 2}, {"message", "503"}}));
  EXPECT_EQ(attributes(spans[0])["error.type"], str("503"));
  EXPECT_EQ(spans[1]["status"], (json{{"code", 2}, {"message", "connection_refused"}}));
  EXPECT_EQ(attributes(spans[1])["error.type"], str("connection_refused"));
  EXPECT_FALSE(attributes(spans[1]).contains("http.response.status_code"));
}

TEST(OtlpJson, Client4xxIsAnErrorOnlyOnTheClientSpan) {
  Fixture f;
  f.ctx.status = 404;
  const json spans = f.spans();
  EXPECT_EQ(spans[0]["status"], json::object());
  EXPECT_EQ(spans[1]["status"], (json{{"code", 2}, {"message", "404"}}));
}

TEST(OtlpJson, RetriedAttemptsComeFirstWithTheirResendCount) {
  Fixture f;
  AttemptSpan& first = f.ctx.trace.attempts.emplace_back();
  first.id = {0xaa, 0, 0, 0, 0, 0, 0, 1};
  first.started = f.t0 - std::chrono::milliseconds(28);
  first.ended = f.t0 - std::chrono::milliseconds(25);
  first.endpoint = &f.endpoint;
  first.status = 503;
  const json spans = f.spans();
  ASSERT_EQ(f.count, 3u);
  EXPECT_EQ(spans[1]["spanId"], "aa00000000000001");
  EXPECT_EQ(spans[1]["endTimeUnixNano"], "1796644799975000000");
  EXPECT_FALSE(attributes(spans[1]).contains("http.request.resend_count"));
  EXPECT_EQ(attributes(spans[2])["http.request.resend_count"], num("1"));
  EXPECT_EQ(spans[2]["parentSpanId"], "0102030405060708");
}

TEST(OtlpJson, LocalAnswerHasOnlyTheServerSpanAndNoParentOfANewTrace) {
  Fixture f;
  f.ctx.upstream_started = {};
  f.ctx.trace.remote_parent = false;
  f.ctx.cluster = nullptr;
  f.ctx.rule = nullptr;
  f.ctx.status = 404;
  f.ctx.error = ProxyError::of(ErrorKind::NoRoute);
  const json spans = f.spans();
  ASSERT_EQ(f.count, 1u);
  EXPECT_FALSE(spans[0].contains("parentSpanId"));
  EXPECT_FALSE(attributes(spans[0]).contains("gatehouse.route.name"));
  EXPECT_EQ(attributes(spans[0])["gatehouse.listener"], str("http"));
}

TEST(OtlpJson, UnknownMethodIsOtherWithTheOriginalAndSpanNameHttp) {
  Fixture f;
  f.ctx.request.method = "PURGE";
  const json server = f.spans()[0];
  EXPECT_EQ(server["name"], "HTTP");
  EXPECT_EQ(attributes(server)["http.request.method"], str("_OTHER"));
  EXPECT_EQ(attributes(server)["http.request.method_original"], str("PURGE"));
}

TEST(OtlpJson, TracestateAndHostileBytesAreEscaped) {
  Fixture f;
  f.ctx.trace.tracestate = "rojo=1";
  f.ctx.request.path = "/\"x\n";
  const json server = f.spans()[0];
  EXPECT_EQ(server["traceState"], "rojo=1");
  EXPECT_EQ(attributes(server)["url.path"], str("/\"x\n"));
}

TEST(OtlpJson, ExportRequestWrapsSpansInOneResourceAndScope) {
  const json request = json::parse(exportRequest(R"({"a":1},{"b":2})"));
  const json& resource = request["resourceSpans"][0];
  EXPECT_EQ(resource["resource"]["attributes"][0],
            (json{{"key", "service.name"}, {"value", {{"stringValue", "gatehouse"}}}}));
  EXPECT_EQ(resource["scopeSpans"][0]["scope"]["name"], "gatehouse");
  EXPECT_EQ(resource["scopeSpans"][0]["spans"], json::parse(R"([{"a":1},{"b":2}])"));
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
