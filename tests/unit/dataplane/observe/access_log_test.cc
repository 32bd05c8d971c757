#include "dataplane/observe/access_log.h"

#include <gtest/gtest.h>

#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {
namespace {

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
