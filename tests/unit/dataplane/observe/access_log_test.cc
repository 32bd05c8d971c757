// Access log lines: the keys --access-log-fields selects, and which requests sampling keeps.
#include "dataplane/observe/access_log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/pipeline/request_context.h"
#include "model/validation.h"

namespace gatehouse::dataplane::observe {
namespace {

std::string keysOf(const std::string& line) {
  const auto object = nlohmann::ordered_json::parse(line);  // keeps the line's order
  std::string keys;
  for (const auto& [k, v] : object.items()) keys += (keys.empty() ? "" : ",") + k;
  return keys;
}

std::string lineOf(const RequestContext& ctx, AccessLogFields fields) {
  std::string out = "earlier line\n";
  appendAccessLogLine(out, ctx, std::chrono::system_clock::time_point{}, std::chrono::steady_clock::now(), fields);
  EXPECT_EQ(out.substr(0, 13), "earlier line\n");
  EXPECT_EQ(out.back(), '\n');
  return out.substr(13);
}

RequestContext getRoot(uint16_t status) {
  RequestContext ctx;
  ctx.request.method = "GET";
  ctx.request.path = "/";
  ctx.status = status;
  return ctx;
}

TEST(AccessLogFields, ParsesAListInAnyOrderWithSpaces) {
  const auto fields = AccessLogFields::parse("status, path,time");
  ASSERT_TRUE(fields);
  EXPECT_TRUE(fields->has(AccessLogField::Time));
  EXPECT_TRUE(fields->has(AccessLogField::Path));
  EXPECT_TRUE(fields->has(AccessLogField::Status));
  EXPECT_FALSE(fields->has(AccessLogField::Method));
  EXPECT_FALSE(fields->has(AccessLogField::ClientAddress));
}

TEST(AccessLogFields, EveryKeyByNameIsAll) {
  std::string every;
  for (size_t i = 0; i < kAccessLogFields; ++i)
    every += (i ? "," : "") + std::string(accessLogFieldName(static_cast<AccessLogField>(i)));
  EXPECT_EQ(AccessLogFields::parse(every).value(), AccessLogFields::all());
}

// The provisioner passes spec.accessLog.fields on as --access-log-fields: the schema must take
// exactly the keys the data plane knows.
TEST(AccessLogFields, GatehouseParametersTakeEveryKeyAndNoOther) {
  nlohmann::json parameters = {{"apiVersion", "gatehouse.dev/v1alpha1"},
                               {"kind", "GatehouseParameters"},
                               {"metadata", {{"name", "p"}, {"namespace", "infra"}}},
                               {"spec", {{"accessLog", {{"fields", nlohmann::json::array()}}}}}};
  for (size_t i = 0; i < kAccessLogFields; ++i)
    parameters["spec"]["accessLog"]["fields"].push_back(accessLogFieldName(static_cast<AccessLogField>(i)));
  EXPECT_TRUE(model::validate("GatehouseParameters", parameters).empty());
  parameters["spec"]["accessLog"]["fields"].push_back("user_agent");
  EXPECT_EQ(model::validate("GatehouseParameters", parameters).size(), 1u);
}

TEST(AccessLogFields, AnUnknownKeyIsRefusedByName) {
  const auto fields = AccessLogFields::parse("status,user_agent");
  ASSERT_FALSE(fields);
  EXPECT_EQ(fields.error().message,
            "unknown access log field \"user_agent\" (known: time, gateway, listener, route, rule, backend, endpoint, "
            "method, authority, path, status, bytes_received, bytes_sent, duration_ms, upstream_duration_ms, "
            "upstream_failure, upstream_attempts, trace_id, client_address)");
}

TEST(AccessLogFields, AnEmptyListIsRefused) {
  EXPECT_FALSE(AccessLogFields::parse(""));
  EXPECT_FALSE(AccessLogFields::parse(" , "));
}

TEST(AccessLogLine, AllFieldsInTheDocumentedOrder) {
  EXPECT_EQ(keysOf(lineOf(getRoot(200), AccessLogFields::all())),
            "time,gateway,listener,route,rule,backend,endpoint,method,authority,path,status,bytes_received,"
            "bytes_sent,duration_ms,upstream_duration_ms,upstream_failure,upstream_attempts,trace_id,client_address");
  EXPECT_EQ(lineOf(getRoot(200), AccessLogFields::all()).substr(0, 35), "{\"time\":\"1970-01-01T00:00:00.000Z\",");
}

TEST(AccessLogLine, OnlyTheSelectedKeysInTheDocumentedOrder) {
  EXPECT_EQ(lineOf(getRoot(404), AccessLogFields::parse("status,path,method").value()),
            "{\"method\":\"GET\",\"path\":\"/\",\"status\":404}\n");
  EXPECT_EQ(lineOf(getRoot(404), AccessLogFields::parse("client_address").value()), "{\"client_address\":null}\n");
}

TEST(AlwaysLogged, ServerErrorsUpstreamFailuresAndNoResponseWhateverTheSampling) {
  EXPECT_FALSE(alwaysLogged(getRoot(200)));
  EXPECT_FALSE(alwaysLogged(getRoot(499)));
  EXPECT_TRUE(alwaysLogged(getRoot(500)));
  EXPECT_TRUE(alwaysLogged(getRoot(0)));
  RequestContext failed = getRoot(404);  // a status the failure does not decide
  failed.error = ProxyError::of(ErrorKind::ConnectFailed);
  failed.error->side = ErrorSide::Upstream;
  EXPECT_TRUE(alwaysLogged(failed));
  failed.error->side = ErrorSide::Downstream;
  EXPECT_FALSE(alwaysLogged(failed));
}

using std::chrono::microseconds;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;

// 2026-12-07T18:30:05.042Z
const Wall::time_point kWall{milliseconds(1796668205042)};

TEST(AccessLogLine, EveryKeyOfAProxiedRequestInOrder) {
  snapshot::Listener listener{"infra/gw", "http", "", {}, {}};
  snapshot::Rule rule;
  rule.route = "apps/shop";
  rule.index = 2;
  snapshot::Cluster cluster{"apps/web:8080", snapshot::UpstreamProtocol::Http1, {}};
  snapshot::Endpoint endpoint("fd00::7", 3000);
  RequestContext ctx;
  ctx.listener = &listener;
  ctx.rule = &rule;
  ctx.cluster = &cluster;
  ctx.endpoint = &endpoint;
  ctx.request.method = "POST";
  ctx.request.authority = "shop.example";
  ctx.request.path = "/cart?\"x\"";
  ctx.status = 503;
  ctx.bytes_received = 1234;
  ctx.bytes_sent = 99;
  const Steady::time_point now = Steady::now();
  ctx.started = now - microseconds(12345678);
  ctx.upstream_started = now - std::chrono::nanoseconds(1499600);  // rounded to the microsecond
  ctx.retries = 1;
  ctx.error = ProxyError::of(ErrorKind::ConnectFailed);
  ctx.client = {boost::asio::ip::make_address("10.0.0.9"), 40000};
  std::string line;
  appendAccessLogLine(line, ctx, kWall, now);
  EXPECT_EQ(line,
            "{\"time\":\"2026-12-07T18:30:05.042Z\",\"gateway\":\"infra/gw\",\"listener\":\"http\","
            "\"route\":\"apps/shop\",\"rule\":\"2\",\"backend\":\"apps/web:8080\",\"endpoint\":\"[fd00::7]:3000\","
            "\"method\":\"POST\",\"authority\":\"shop.example\",\"path\":\"/cart?\\\"x\\\"\",\"status\":503,"
            "\"bytes_received\":1234,\"bytes_sent\":99,\"duration_ms\":12345.678,\"upstream_duration_ms\":1.500,"
            "\"upstream_failure\":\"connection_refused\",\"upstream_attempts\":2,\"trace_id\":null,"
            "\"client_address\":\"10.0.0.9:40000\"}\n");
}

TEST(AccessLogLine, AnUnroutedRequestHasNulls) {
  RequestContext ctx;
  ctx.request.method = "GET";
  ctx.request.path = "/";
  ctx.status = 404;
  const Steady::time_point now = Steady::now();
  ctx.started = now - microseconds(7);
  ctx.client = {boost::asio::ip::make_address("::1"), 5};
  std::string line;
  appendAccessLogLine(line, ctx, kWall + milliseconds(1958), now);  // the next second: the cached prefix changes
  EXPECT_EQ(line,
            "{\"time\":\"2026-12-07T18:30:07.000Z\",\"gateway\":null,\"listener\":null,\"route\":null,\"rule\":null,"
            "\"backend\":null,\"endpoint\":null,\"method\":\"GET\",\"authority\":null,\"path\":\"/\",\"status\":404,"
            "\"bytes_received\":0,\"bytes_sent\":0,\"duration_ms\":0.007,\"upstream_duration_ms\":null,"
            "\"upstream_failure\":null,\"upstream_attempts\":null,\"trace_id\":null,\"client_address\":\"[::1]:5\"}\n");
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
