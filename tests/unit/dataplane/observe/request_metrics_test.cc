#include "dataplane/observe/request_metrics.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dataplane/observe/tls_handshakes.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {
namespace {

struct Fixture {
  snapshot::Listener listener{"infra/gw", "http", "", {}, {}};
  snapshot::Rule rule;
  snapshot::Cluster cluster{"apps/web:8080", snapshot::UpstreamProtocol::Http1, {}};
  Clock::time_point t0 = Clock::now();

  Fixture() {
    rule.route = "apps/shop";
    rule.index = 2;
  }
  RequestContext routed(uint16_t status) {
    RequestContext ctx;
    ctx.request.method = "GET";
    ctx.started = t0;
    ctx.listener = &listener;
    ctx.rule = &rule;
    ctx.cluster = &cluster;
    ctx.status = status;
    return ctx;
  }
};

const Series& only(const SeriesMap& map) {
  EXPECT_EQ(map.size(), 1u);
  return map.begin()->second;
}

TEST(RequestMetrics, ProxiedRequestCarriesIdentityLabelsOnBothLegs) {
  Fixture f;
  RequestMetrics metrics;
  RequestContext ctx = f.routed(200);
  ctx.upstream_started = f.t0 + std::chrono::milliseconds(1);
  metrics.observe(ctx, f.t0 + std::chrono::milliseconds(30));
  const MetricsData data = metrics.copy(nullptr);
  const Series& server = only(data.server);
  const SeriesLabels& l = server.labels;
  EXPECT_EQ(std::tie(l.method, l.status, l.error_type), std::make_tuple("GET", "200", ""));
  EXPECT_EQ(std::tie(l.gateway_namespace, l.gateway_name, l.listener), std::make_tuple("infra", "gw", "http"));
  EXPECT_EQ(std::tie(l.route_kind, l.route_namespace, l.route_name, l.route_rule, l.backend),
            std::make_tuple("HTTPRoute", "apps", "shop", "2", "apps/web:8080"));
  EXPECT_DOUBLE_EQ(server.duration.sum(), 0.030);
  EXPECT_DOUBLE_EQ(only(data.client).duration.sum(), 0.029);
}

TEST(RequestMetrics, NamedRuleIsLabelledByName) {
  Fixture f;
  f.rule.name = "checkout";
  RequestMetrics metrics;
  metrics.observe(f.routed(302), f.t0);
  EXPECT_EQ(only(metrics.copy(nullptr).server).labels.route_rule, "checkout");
}

TEST(RequestMetrics, ConnectFailureIsServer503AndClientConnectionRefused) {
  Fixture f;
  RequestMetrics metrics;
  RequestContext ctx = f.routed(503);
  ctx.upstream_started = f.t0;
  ctx.error = ProxyError::of(ErrorKind::ConnectFailed);
  metrics.observe(ctx, f.t0);
  const MetricsData data = metrics.copy(nullptr);
  EXPECT_EQ(only(data.server).labels.error_type, "503");
  const SeriesLabels& client = only(data.client).labels;
  EXPECT_EQ(std::tie(client.status, client.error_type), std::make_tuple("", "connection_refused"));
}

TEST(RequestMetrics, UpstreamClientErrorIsAnErrorOnTheClientLegOnly) {
  Fixture f;
  RequestMetrics metrics;
  RequestContext ctx = f.routed(404);
  ctx.upstream_started = f.t0;
  metrics.observe(ctx, f.t0);
  const MetricsData data = metrics.copy(nullptr);
  EXPECT_EQ(only(data.server).labels.error_type, "");
  EXPECT_EQ(only(data.client).labels.error_type, "404");
}

TEST(RequestMetrics, UnmatchedRequestKeepsListenerWithEmptyRouteAndNoClientLeg) {
  Fixture f;
  RequestMetrics metrics;
  RequestContext ctx = f.routed(404);
  ctx.rule = nullptr;
  ctx.cluster = nullptr;
  ctx.request.method = "BREW";
  metrics.observe(ctx, f.t0);
  const MetricsData data = metrics.copy(nullptr);
  const SeriesLabels& l = only(data.server).labels;
  EXPECT_EQ(std::tie(l.method, l.listener, l.route_name, l.route_rule, l.backend), std::make_tuple("_OTHER", "http", "", "", ""));
  EXPECT_TRUE(data.client.empty());
}

TEST(RequestMetrics, SeriesBeyondTheBoundFoldIntoTheListenersSeries) {
  Fixture f;
  RequestMetrics metrics;
  std::vector<snapshot::Rule> rules(RequestMetrics::kMaxSeries + 5, f.rule);
  for (size_t i = 0; i < rules.size(); ++i) {
    rules[i].index = static_cast<uint32_t>(i);
    RequestContext ctx = f.routed(200);
    ctx.rule = &rules[i];
    metrics.observe(ctx, f.t0);
  }
  const MetricsData data = metrics.copy(nullptr);
  EXPECT_EQ(data.server.size(), RequestMetrics::kMaxSeries + 1);
  uint64_t folded = 0;
  for (const auto& [key, series] : data.server)
    if (series.labels.route_name.empty()) folded = series.duration.count();
  EXPECT_EQ(folded, 5u);
}

uint64_t countOf(const SeriesMap& map, std::string_view route_name) {
  for (const auto& [key, series] : map)
    if (series.labels.route_name == route_name) return series.duration.count();
  return 0;
}

TEST(RequestMetrics, RequestsOfTheCurrentGenerationCountInTheSeriesOfTheirLabels) {
  Fixture f;
  RequestMetrics metrics;
  auto current = std::make_shared<Generation>();
  metrics.setGeneration(current.get());
  for (int i = 0; i < 3; ++i) {
    RequestContext ctx = f.routed(200);
    ctx.generation = current;
    ctx.upstream_started = f.t0;
    metrics.observe(ctx, f.t0);
  }
  RequestContext older = f.routed(200);
  older.generation = std::make_shared<Generation>();
  metrics.observe(older, f.t0);
  const MetricsData data = metrics.copy(nullptr);
  EXPECT_EQ(only(data.server).duration.count(), 4u);
  EXPECT_EQ(only(data.client).duration.count(), 3u);
}

// A new generation may hold a different rule at an address an old one used.
TEST(RequestMetrics, ANewGenerationForgetsSeriesFoundByAddress) {
  Fixture f;
  RequestMetrics metrics;
  auto first = std::make_shared<Generation>();
  metrics.setGeneration(first.get());
  RequestContext ctx = f.routed(200);
  ctx.generation = first;
  metrics.observe(ctx, f.t0);

  auto second = std::make_shared<Generation>();
  metrics.setGeneration(second.get());
  f.rule.route = "apps/cart";
  ctx = f.routed(200);
  ctx.generation = second;
  metrics.observe(ctx, f.t0);
  const MetricsData data = metrics.copy(nullptr);
  EXPECT_EQ(countOf(data.server, "shop"), 1u);
  EXPECT_EQ(countOf(data.server, "cart"), 1u);
}

// --metrics-per-route-labels false: two routes to two backends, by address (current generation)
// and by labels (another), count in one series per leg with empty route_* and backend.
TEST(RequestMetrics, WithoutPerRouteLabelsRoutesShareTheListenersSeries) {
  Fixture f;
  RequestMetrics metrics(false);
  snapshot::Rule cart = f.rule;
  cart.route = "apps/cart";
  snapshot::Cluster cart_backend{"apps/cart:8080", snapshot::UpstreamProtocol::Http1, {}};
  auto current = std::make_shared<Generation>();
  metrics.setGeneration(current.get());
  for (const auto& generation : {current, std::make_shared<Generation>()}) {
    RequestContext shop = f.routed(200);
    RequestContext other = f.routed(200);
    other.rule = &cart;
    other.cluster = &cart_backend;
    for (RequestContext* ctx : {&shop, &other}) {
      ctx->generation = generation;
      ctx->upstream_started = f.t0;
      metrics.observe(*ctx, f.t0);
    }
  }
  const MetricsData data = metrics.copy(nullptr);
  for (const SeriesMap* leg : {&data.server, &data.client}) {
    const Series& series = only(*leg);
    EXPECT_EQ(series.duration.count(), 4u);
    const SeriesLabels& l = series.labels;
    EXPECT_EQ(std::tie(l.gateway_name, l.listener, l.status), std::make_tuple("gw", "http", "200"));
    EXPECT_EQ(std::tie(l.route_kind, l.route_namespace, l.route_name, l.route_rule, l.backend),
              std::make_tuple("", "", "", "", ""));
  }
}

TEST(RequestMetrics, CopiesOfWorkersMergeBySeries) {
  Fixture f;
  RequestMetrics a;
  RequestMetrics b;
  a.observe(f.routed(200), f.t0);
  b.observe(f.routed(200), f.t0);
  b.observe(f.routed(500), f.t0);
  MetricsData merged = a.copy(nullptr);
  merged.merge(b.copy(nullptr));
  ASSERT_EQ(merged.server.size(), 2u);
  for (const auto& [key, series] : merged.server)
    EXPECT_EQ(series.duration.count(), series.labels.status == "200" ? 2u : 1u);
}

TEST(RequestMetrics, MirrorCountersOfWorkersAddUpByOutcome) {
  MetricsData a;
  a.mirrors = {.sent = 5, .completed = 3, .failed = 1, .dropped_over_limit = 2, .in_flight = 1};
  MetricsData b;
  b.mirrors = {.sent = 1, .completed = 1, .skipped_body = 4, .no_endpoint = 6};
  a.merge(b);
  metrics::Exposition out(metrics::Format::Prometheus);
  a.render(out);
  const std::string text = out.finish();
  for (const char* line : {"gatehouse_mirror_requests_total{outcome=\"completed\"} 4\n",
                           "gatehouse_mirror_requests_total{outcome=\"failed\"} 1\n",
                           "gatehouse_mirror_requests_total{outcome=\"dropped_over_limit\"} 2\n",
                           "gatehouse_mirror_requests_total{outcome=\"skipped_body\"} 4\n",
                           "gatehouse_mirror_requests_total{outcome=\"no_endpoint\"} 6\n",
                           "gatehouse_mirror_requests_in_flight 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
}

TEST(RequestMetrics, RedisCallsOfWorkersAddUpAndGlobalDecisionsRenderByDecision) {
  MetricsData a;
  a.redis_calls = redis::RedisCallCounts{.ok = 5, .error = 1, .timeout = 2};
  MetricsData b;
  b.redis_calls = redis::RedisCallCounts{.ok = 1, .error = 3};
  MetricsData none;  // a worker without Redis adds nothing
  a.merge(b);
  a.merge(none);
  a.global_rate_limits.push_back({"shop/api", "HTTPRoute/shop/store", 7, 2, 0, 3});
  metrics::Exposition out(metrics::Format::Prometheus);
  a.render(out);
  const std::string text = out.finish();
  const std::string series = "gatehouse_global_rate_limit_decisions_total{policy=\"shop/api\",target=\"HTTPRoute/shop/store\"";
  for (const std::string& line : {std::string("gatehouse_rate_limit_redis_calls_total{result=\"ok\"} 6\n"),
                                 std::string("gatehouse_rate_limit_redis_calls_total{result=\"error\"} 4\n"),
                                 std::string("gatehouse_rate_limit_redis_calls_total{result=\"timeout\"} 2\n"),
                                 series + ",decision=\"allowed\"} 7\n", series + ",decision=\"limited\"} 2\n",
                                 series + ",decision=\"failed_open\"} 0\n", series + ",decision=\"failed_closed\"} 3\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  MetricsData without;
  metrics::Exposition empty(metrics::Format::Prometheus);
  without.render(empty);
  EXPECT_EQ(empty.finish().find("gatehouse_rate_limit_redis_calls_total"), std::string::npos);
}

TEST(RequestMetrics, BytesAndRetriesAddUpInTheServerSeriesAndTheConnection) {
  Fixture f;
  RequestMetrics metrics;
  ConnectionCounts& connection = metrics.connections("0.0.0.0:8080");
  for (uint64_t i = 1; i <= 2; ++i) {
    RequestContext ctx = f.routed(200);
    ctx.bytes_received = 100 * i;
    ctx.bytes_sent = 1000 * i;
    ctx.retries = static_cast<uint32_t>(i);
    ctx.connection = &connection;
    metrics.observe(ctx, f.t0);
  }
  const MetricsData data = metrics.copy(nullptr);
  const Series& server = only(data.server);
  EXPECT_EQ(std::tie(server.bytes_received, server.bytes_sent, server.retries), std::make_tuple(300u, 3000u, 3u));
  EXPECT_EQ(std::tie(connection.bytes_received, connection.bytes_sent), std::make_tuple(300u, 3000u));
}

TEST(RequestMetrics, RendersByteAndRetryCountersWithTheRequestLabels) {
  Fixture f;
  RequestMetrics metrics;
  RequestContext ctx = f.routed(200);
  ctx.bytes_received = 77;
  ctx.bytes_sent = 512;
  ctx.retries = 1;
  metrics.observe(ctx, f.t0);
  metrics::Exposition out(metrics::Format::Prometheus);
  metrics.copy(nullptr).render(out);
  const std::string text = out.finish();
  const std::string labels =
      "{http_request_method=\"GET\",http_response_status_code=\"200\",gateway_namespace=\"infra\",gateway_name=\"gw\","
      "listener=\"http\",route_kind=\"HTTPRoute\",route_namespace=\"apps\",route_name=\"shop\",route_rule=\"2\","
      "backend=\"apps/web:8080\"}";
  for (const std::string& line : {"gatehouse_http_server_received_bytes_total" + labels + " 77\n",
                                 "gatehouse_http_server_sent_bytes_total" + labels + " 512\n",
                                 "gatehouse_upstream_retries_total" + labels + " 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
}

TEST(RequestMetrics, ConnectionCountersOfWorkersAddUp) {
  ConnectionCounts a{.active = 1, .total = 2, .bytes_received = 3, .bytes_sent = 4, .tls_handshakes = 5,
                     .tls_handshake_failures = {1, 0, 0, 2, 0}};
  ConnectionCounts b{.active = 0, .total = 1, .bytes_received = 10, .bytes_sent = 20, .tls_handshakes = 1,
                     .tls_handshake_failures = {0, 1, 0, 1, 7}};
  a.add(b);
  EXPECT_EQ(std::tie(a.active, a.total, a.bytes_received, a.bytes_sent, a.tls_handshakes),
            std::make_tuple(1u, 3u, 13u, 24u, 6u));
  EXPECT_EQ(a.tls_handshake_failures, (std::array<uint64_t, kTlsHandshakeFailures>{1, 1, 0, 3, 7}));
}

boost::system::error_code sslError(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), boost::asio::error::get_ssl_category()};
}

TEST(TlsHandshakes, FailureReasons) {
  EXPECT_EQ(tlsHandshakeFailureOf(boost::asio::error::operation_aborted, true), TlsHandshakeFailure::Timeout);
  EXPECT_EQ(tlsHandshakeFailureOf(boost::asio::error::eof, false), TlsHandshakeFailure::Closed);
  EXPECT_EQ(tlsHandshakeFailureOf(boost::asio::ssl::error::stream_truncated, false), TlsHandshakeFailure::Closed);
  EXPECT_EQ(tlsHandshakeFailureOf(boost::asio::error::connection_reset, false), TlsHandshakeFailure::Closed);
  EXPECT_EQ(tlsHandshakeFailureOf(sslError(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE), false),
            TlsHandshakeFailure::ClientCertificate);
  EXPECT_EQ(tlsHandshakeFailureOf(sslError(SSL_R_CERTIFICATE_VERIFY_FAILED), false),
            TlsHandshakeFailure::ClientCertificate);
  EXPECT_EQ(tlsHandshakeFailureOf(sslError(SSL_R_TLSV1_ALERT_UNKNOWN_CA), false),
            TlsHandshakeFailure::CertificateRejected);
  EXPECT_EQ(tlsHandshakeFailureOf(sslError(SSL_R_HTTP_REQUEST), false), TlsHandshakeFailure::Protocol);
  EXPECT_EQ(tlsHandshakeFailureOf(sslError(SSL_R_NO_SHARED_CIPHER), false), TlsHandshakeFailure::Protocol);
}

TEST(TlsHandshakes, CountsCompletedAndFailedHandshakes) {
  ConnectionCounts counts;
  countTlsHandshake(&counts, {}, false);
  countTlsHandshake(&counts, {}, false);
  countTlsHandshake(&counts, boost::asio::error::eof, false);
  countTlsHandshake(nullptr, {}, false);  // an untracked connection: not counted, no crash
  EXPECT_EQ(counts.tls_handshakes, 2u);
  EXPECT_EQ(counts.tls_handshake_failures[static_cast<size_t>(TlsHandshakeFailure::Closed)], 1u);
}

}  // namespace
}  // namespace gatehouse::dataplane::observe
