#include "snapshot/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>

namespace gatehouse::snapshot {
namespace {

ClusterPtr cluster(std::string name, UpstreamProtocol protocol, std::vector<Endpoint> endpoints) {
  return std::make_shared<const Cluster>(Cluster{std::move(name), protocol, std::move(endpoints)});
}

StringMatch stringMatch(StringMatch::Type type, std::string name, std::string value) {
  StringMatch m{type, std::move(name), std::move(value), nullptr};
  if (type == StringMatch::Type::RegularExpression) m.regex = std::make_shared<const re2::RE2>(m.value);
  return m;
}

// Every filter type, in the reverse of its declaration order (the list order must survive).
Filters everyFilter(uint32_t mirror_cluster) {
  return {
      Cors{{"https://*.example.com"}, {"GET", "PUT"}, {"*"}, {"X-Expose"}, true, 3600},
      RequestMirror{mirror_cluster, 1, 3},
      UrlRewrite{"rewrite.example", PathModifier{PathModifier::Type::ReplaceFullPath, "/full"}},
      RequestRedirect{"https", "redirect.example", PathModifier{PathModifier::Type::ReplacePrefixMatch, "/new"}, 8443,
                      301},
      ResponseHeaderModifier{{{{"Cache-Control", "no-store"}}, {}, {"Server"}}},
      RequestHeaderModifier{{{{"X-Set", "1"}}, {{"X-Add", "2"}, {"X-Add", "3"}}, {"X-Remove"}}},
  };
}

// Two rules (one with every filter and both timeouts, one with an invalid backend, another route
// kind and index, and nothing
// optional), entries of every path match type with header, query and method matches.
RouteTablePtr routeTable(const std::string& route) {
  auto table = std::make_shared<RouteTable>();
  Rule full{route, "full", everyFilter(3), {}, 0, 1500, 700};
  full.retry = RetryPolicy{{500, 503}, 3, 40};
  full.policies.local_rate_limit = 1;
  full.policies.global_rate_limit = 0;
  full.policies.fault = FaultInjection{FaultInjection::Abort{25, 503, 14}, FaultInjection::Delay{10, 250}};
  full.policies.rate_limit_overrides = true;
  full.backends.push_back(WeightedBackend{0, 7, everyFilter(5)});
  full.backends.push_back(WeightedBackend{3, 1, {}});
  full.total_weight = 8;
  Rule bare{route, "", {}, {WeightedBackend{std::nullopt, 1, {}}}, 1, std::nullopt, std::nullopt};
  bare.route_kind = "GRPCRoute";
  bare.index = 4;
  table->rules = {full, bare};
  RouteEntry exact{{{PathMatch::Type::Exact, "/exact", nullptr}, {}, {}, "GET"}, 1};
  exact.match.headers.push_back(stringMatch(StringMatch::Type::Exact, "x-env", "prod"));
  exact.match.headers.push_back(stringMatch(StringMatch::Type::RegularExpression, "x-id", "[0-9]+"));
  exact.match.query_params.push_back(stringMatch(StringMatch::Type::Exact, "Debug", "1"));
  exact.match.query_params.push_back(stringMatch(StringMatch::Type::RegularExpression, "page", "p.*"));
  RouteEntry regex{{{PathMatch::Type::RegularExpression, "/items/[a-z]+", nullptr}, {}, {}, std::nullopt}, 0};
  regex.match.path.regex = std::make_shared<const re2::RE2>(regex.match.path.value);
  RouteEntry prefix{{{PathMatch::Type::PathPrefix, "/", nullptr}, {}, {}, std::nullopt}, 0};
  table->entries = {exact, regex, prefix};
  return table;
}

// Every Transport and ListenerKind, wildcard, exact and catch-all hosts, a route table shared by
// two listeners, TLS certificates, client validation in both modes, a backend client certificate, IPv4, IPv6 and non-numeric endpoints, empty cluster slots
// (between and after the clusters).
Snapshot everyField() {
  Snapshot s;
  s.version = 42;
  s.clusters.set(0, cluster("default/web:80", UpstreamProtocol::Http1, {Endpoint("10.0.0.1", 8080)}));
  s.clusters.set(3, cluster("default/grpc:50051", UpstreamProtocol::H2c,
                            {Endpoint("fd00::1", 50051), Endpoint("10.0.0.2", 50051)}));
  s.clusters.set(5, cluster("default/ws:81", UpstreamProtocol::WebSocket, {Endpoint("not-an-ip", 81)}));
  auto tls_cluster = std::make_shared<Cluster>(*s.clusters.get(5));
  tls_cluster->tls = UpstreamTls{"backend.example", "CA-PEM", {"a.example"}, {"spiffe://x/y"}, false};
  s.clusters.set(5, tls_cluster);
  s.clusters.set(70, nullptr);
  s.local_rate_limits.push_back({"default/gw-limit", "Gateway/default/gw", 1000, 60000});
  s.local_rate_limits.push_back(
      {"default/keys", "HTTPRoute/default/a/full", 5, 1000, LocalRateLimit::Key::Header, "x-api-key", 300});
  s.global_rate_limits.push_back(
      {"default/keys", "HTTPRoute/default/a/full", 50, 3600000, GlobalRateLimit::Key::ClientAddress, "", true});
  RouteTablePtr shared = routeTable("default/shared");
  Listener http{"default/gw", "http", "", {}, {}};
  http.hosts.setExact("a.example.com", routeTable("default/a"));
  http.hosts.setExact("b.example.com", shared);
  http.hosts.wildcard_suffix.emplace_back(".example.com", routeTable("default/wild"));
  http.hosts.any = routeTable("default/any");
  Listener https{"default/gw", "https", "*.secure.example", {}, {{"CERT-1", "KEY-1"}, {"CERT-2", "KEY-2"}}};
  https.hosts.any = shared;
  https.client_validation = ClientValidation{"CA-BUNDLE", false};
  https.policies.local_rate_limit = 0;
  https.policies.fault = FaultInjection{std::nullopt, FaultInjection::Delay{100, 5}};
  https.policies.fault_overrides = true;
  Listener other{"other/gw2", "http", "other.example", {}, {}};
  other.hosts.setExact("other.example", routeTable("other/r"));
  other.backend_client_certificate = TlsCertificate{"CLIENT-CERT", "CLIENT-KEY"};
  other.metrics = ListenerMetrics{true, false};
  https.metrics = ListenerMetrics{false, true};
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {http, other}});
  s.sockets.push_back({"::", 443, Transport::Tls, ListenerKind::HttpConnectionManager, {https}});
  s.sockets.push_back({"0.0.0.0", 8443, Transport::Tcp, ListenerKind::TlsPassthrough, {{"default/gw", "tls", "", {}, {}}}});
  s.sockets.push_back({"0.0.0.0", 9000, Transport::Tls, ListenerKind::TcpProxy, {{"default/gw", "tcp", "", {}, {}}}});
  s.sockets.push_back({"0.0.0.0", 9000, Transport::Udp, ListenerKind::UdpProxy, {{"default/gw", "udp", "", {}, {}}}});
  Listener mixed_https{"default/gw", "mixed-https", "web.example", {}, {{"CERT-1", "KEY-1"}}};
  mixed_https.client_validation = ClientValidation{"CA-2", true};
  Listener mixed_terminate{"default/gw", "mixed-terminate", "db.example", {}, {{"CERT-2", "KEY-2"}},
                           ListenerKind::TcpProxy};
  Listener mixed_passthrough{"default/gw", "mixed-passthrough", "pass.example", {}, {}, ListenerKind::TlsPassthrough};
  s.sockets.push_back({"0.0.0.0", 8883, Transport::Tcp, ListenerKind::SniDispatch,
                       {mixed_https, mixed_terminate, mixed_passthrough}});
  return s;
}

SnapshotPtr roundTrip(const Snapshot& s) {
  auto decoded = decode(encode(s));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return decoded.ok() ? decoded.value() : nullptr;
}

std::string decodeError(std::string_view bytes) {
  auto decoded = decode(bytes);
  return decoded.ok() ? "<decoded>" : decoded.error().message;
}

TEST(SnapshotCodec, RoundTripReencodesToTheSameBytes) {
  const Snapshot s = everyField();
  SnapshotPtr decoded = roundTrip(s);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(encode(*decoded), encode(s));  // the encoding holds every field but derived state
}

TEST(SnapshotCodec, RoundTripKeepsSocketsListenersAndHosts) {
  SnapshotPtr d = roundTrip(everyField());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version, 42u);
  ASSERT_EQ(d->sockets.size(), 6u);
  EXPECT_EQ(d->sockets[1].address, "::");
  EXPECT_EQ(d->sockets[1].port, 443);
  EXPECT_EQ(d->sockets[1].transport, Transport::Tls);
  EXPECT_EQ(d->sockets[2].kind, ListenerKind::TlsPassthrough);
  EXPECT_EQ(d->sockets[3].kind, ListenerKind::TcpProxy);
  EXPECT_EQ(d->sockets[4].transport, Transport::Udp);
  EXPECT_EQ(d->sockets[4].kind, ListenerKind::UdpProxy);
  EXPECT_EQ(d->sockets[5].kind, ListenerKind::SniDispatch);
  ASSERT_EQ(d->sockets[5].listeners.size(), 3u);
  EXPECT_EQ(d->sockets[5].listeners[0].kind, ListenerKind::HttpConnectionManager);
  EXPECT_EQ(d->sockets[5].listeners[1].kind, ListenerKind::TcpProxy);
  EXPECT_EQ(d->sockets[5].listeners[2].kind, ListenerKind::TlsPassthrough);
  const Listener& http = d->sockets[0].listeners[0];
  EXPECT_EQ(http.hosts.exactCount(), 2u);
  ASSERT_NE(http.hosts.exact("a.example.com"), nullptr);
  EXPECT_EQ(http.hosts.exact("a.example.com")->rules[0].route, "default/a");
  ASSERT_EQ(http.hosts.wildcard_suffix.size(), 1u);
  EXPECT_EQ(http.hosts.wildcard_suffix[0].first, ".example.com");
  EXPECT_EQ(http.hosts.any->rules[0].route, "default/any");
  const Listener& https = d->sockets[1].listeners[0];
  EXPECT_EQ(https.hostname, "*.secure.example");
  ASSERT_EQ(https.certificates.size(), 2u);
  EXPECT_EQ(https.certificates[1].cert_pem, "CERT-2");
  EXPECT_EQ(https.certificates[1].key_pem, "KEY-2");
  EXPECT_EQ(https.client_validation, (ClientValidation{"CA-BUNDLE", false}));
  EXPECT_EQ(d->sockets[5].listeners[0].client_validation, (ClientValidation{"CA-2", true}));
  EXPECT_EQ(https.policies.local_rate_limit, 0u);
  EXPECT_EQ(https.policies.fault, (FaultInjection{std::nullopt, FaultInjection::Delay{100, 5}}));
  EXPECT_EQ(std::make_pair(https.policies.rate_limit_overrides, https.policies.fault_overrides), std::make_pair(false, true));
  EXPECT_TRUE(http.policies.empty());
  EXPECT_EQ(d->local_rate_limits, everyField().local_rate_limits);
  EXPECT_EQ(d->global_rate_limits, everyField().global_rate_limits);
  EXPECT_EQ(http.client_validation, std::nullopt);
  EXPECT_EQ(d->sockets[0].listeners[1].backend_client_certificate, (TlsCertificate{"CLIENT-CERT", "CLIENT-KEY"}));
  EXPECT_EQ(http.backend_client_certificate, std::nullopt);
  EXPECT_EQ(d->sockets[0].listeners[1].metrics, (ListenerMetrics{true, false}));
  EXPECT_EQ(https.metrics, (ListenerMetrics{false, true}));
  EXPECT_EQ(http.metrics, ListenerMetrics{});
  // One table shared by two listeners stays one table.
  EXPECT_EQ(https.hosts.any.get(), http.hosts.exact("b.example.com"));
}

TEST(SnapshotCodec, RoundTripRebuildsClustersAndParsedEndpoints) {
  SnapshotPtr d = roundTrip(everyField());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->clusters.get(5)->tls,
            (UpstreamTls{"backend.example", "CA-PEM", {"a.example"}, {"spiffe://x/y"}, false}));
  EXPECT_EQ(d->clusters.get(0)->tls, std::nullopt);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->clusters.size(), 71u);
  for (uint32_t empty : {1u, 2u, 4u, 6u, 69u, 70u}) EXPECT_EQ(d->clusters.get(empty), nullptr) << empty;
  const Cluster* grpc = d->clusters.get(3);
  ASSERT_NE(grpc, nullptr);
  EXPECT_EQ(grpc->protocol, UpstreamProtocol::H2c);
  EXPECT_EQ(grpc->endpoints[0], Endpoint("fd00::1", 50051));
  EXPECT_EQ(grpc->endpoints[0].family, Endpoint::Family::V6);
  EXPECT_EQ(grpc->endpoints[0].address[0], 0xfd);
  EXPECT_EQ(grpc->endpoints[0].address[15], 1);
  EXPECT_EQ(grpc->endpoints[1].family, Endpoint::Family::V4);
  EXPECT_EQ(d->clusters.get(5)->protocol, UpstreamProtocol::WebSocket);
  EXPECT_EQ(d->clusters.get(5)->endpoints[0].family, Endpoint::Family::Invalid);
}

TEST(SnapshotCodec, RoundTripRebuildsRegexesAndFilters) {
  SnapshotPtr d = roundTrip(everyField());
  ASSERT_TRUE(d);
  const RouteTable& t = *d->sockets[0].listeners[0].hosts.any;
  ASSERT_EQ(t.entries.size(), 3u);
  const RouteMatch& exact = t.entries[0].match;
  EXPECT_EQ(t.entries[0].rule, 1u);
  EXPECT_EQ(exact.method, "GET");
  EXPECT_EQ(exact.headers[0].regex, nullptr);
  ASSERT_NE(exact.headers[1].regex, nullptr);
  EXPECT_EQ(exact.headers[1].regex->pattern(), "[0-9]+");
  EXPECT_EQ(exact.query_params[0].name, "Debug");
  EXPECT_EQ(exact.query_params[1].regex->pattern(), "p.*");
  const PathMatch& regex = t.entries[1].match.path;
  ASSERT_NE(regex.regex, nullptr);
  EXPECT_TRUE(re2::RE2::FullMatch("/items/abc", *regex.regex));
  EXPECT_EQ(t.entries[2].match.path.type, PathMatch::Type::PathPrefix);
  EXPECT_EQ(t.entries[2].match.path.regex, nullptr);

  const Rule& full = t.rules[0];
  EXPECT_EQ(full.request_timeout_ms, 1500u);
  EXPECT_EQ(full.backend_request_timeout_ms, 700u);
  EXPECT_EQ(full.retry, (RetryPolicy{{500, 503}, 3, 40}));
  EXPECT_EQ(t.rules[1].retry, std::nullopt);
  EXPECT_EQ(full.policies.local_rate_limit, 1u);
  EXPECT_EQ(full.policies.global_rate_limit, 0u);
  EXPECT_EQ(full.policies.fault, (FaultInjection{FaultInjection::Abort{25, 503, 14}, FaultInjection::Delay{10, 250}}));
  EXPECT_EQ(std::make_pair(full.policies.rate_limit_overrides, full.policies.fault_overrides), std::make_pair(true, false));
  EXPECT_TRUE(t.rules[1].policies.empty());
  EXPECT_EQ(full.total_weight, 8u);
  ASSERT_EQ(full.filters.size(), 6u);
  const auto& cors = std::get<Cors>(full.filters[0]);
  EXPECT_EQ(cors.allow_origins, std::vector<std::string>{"https://*.example.com"});
  EXPECT_EQ(cors.allow_methods, (std::vector<std::string>{"GET", "PUT"}));
  EXPECT_EQ(cors.allow_headers, std::vector<std::string>{"*"});
  EXPECT_EQ(cors.expose_headers, std::vector<std::string>{"X-Expose"});
  EXPECT_TRUE(cors.allow_credentials);
  EXPECT_EQ(cors.max_age, 3600u);
  EXPECT_EQ(std::get<RequestMirror>(full.filters[1]).denominator, 3u);
  EXPECT_EQ(std::get<UrlRewrite>(full.filters[2]).path->value, "/full");
  const auto& redirect = std::get<RequestRedirect>(full.filters[3]);
  EXPECT_EQ(redirect.port, 8443);
  EXPECT_EQ(redirect.status_code, 301);
  EXPECT_EQ(redirect.path->type, PathModifier::Type::ReplacePrefixMatch);
  EXPECT_EQ(std::get<ResponseHeaderModifier>(full.filters[4]).remove, std::vector<std::string>{"Server"});
  EXPECT_EQ(std::get<RequestHeaderModifier>(full.filters[5]).add[1],
            (std::pair<std::string, std::string>{"X-Add", "3"}));
  EXPECT_EQ(full.backends[0].cluster, 0u);
  EXPECT_EQ(full.backends[0].weight, 7u);
  EXPECT_EQ(std::get<RequestMirror>(full.backends[0].filters[1]).cluster, 5u);
  const Rule& bare = t.rules[1];
  EXPECT_EQ(bare.backends[0].cluster, std::nullopt);
  EXPECT_TRUE(bare.filters.empty());
  EXPECT_FALSE(bare.request_timeout_ms.has_value());
  EXPECT_EQ(full.route_kind, "HTTPRoute");
  EXPECT_EQ(full.index, 0u);
  EXPECT_EQ(bare.route_kind, "GRPCRoute");
  EXPECT_EQ(bare.index, 4u);
}

TEST(SnapshotCodec, EncodingDoesNotDependOnExactHostInsertionOrder) {
  Snapshot a;
  Snapshot b;
  Listener la{"ns/gw", "l", "", {}, {}};
  Listener lb = la;
  auto table = routeTable("ns/r");
  for (int i = 0; i < 300; ++i) la.hosts.setExact("h" + std::to_string(i) + ".example", table);
  for (int i = 299; i >= 0; --i) lb.hosts.setExact("h" + std::to_string(i) + ".example", table);
  a.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {la}});
  b.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {lb}});
  EXPECT_EQ(encode(a), encode(b));
}

TEST(SnapshotCodec, EmptySnapshotIsTwelveBytes) {
  EXPECT_EQ(encode(Snapshot{}), std::string("GHSN\x0b\x00\x00\x00\x00\x00\x00\x00", 12));
  auto d = decode(encode(Snapshot{}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value()->clusters.size(), 0u);
  EXPECT_TRUE(d.value()->sockets.empty());
}

// ---- untrusted input --------------------------------------------------------------------------

TEST(SnapshotCodecErrors, MissingHeader) {
  EXPECT_EQ(decodeError(""), "snapshot decode: not an encoded snapshot (no \"GHSN\" header)");
  EXPECT_EQ(decodeError("{\"version\":1}"), "snapshot decode: not an encoded snapshot (no \"GHSN\" header)");
}

TEST(SnapshotCodecErrors, OtherFormatVersion) {
  EXPECT_EQ(decodeError(std::string("GHSN\x01\x00\x00\x00\x00\x00", 10)),
            "snapshot decode: format: format version 1 is not supported (this build reads version 11) (at byte 4)");
}

TEST(SnapshotCodecErrors, EveryTruncationIsAnError) {
  const std::string bytes = encode(everyField());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode(bytes.substr(0, n)).ok()) << n;
  EXPECT_EQ(decodeError(bytes.substr(0, 5)), "snapshot decode: version: truncated input (at byte 5)");
}

TEST(SnapshotCodecErrors, TrailingBytes) {
  EXPECT_EQ(decodeError(encode(Snapshot{}) + "xy"), "snapshot decode: 2 bytes after the end of the snapshot (at byte 12)");
}

TEST(SnapshotCodecErrors, OverlongVarint) {
  EXPECT_EQ(decodeError(std::string("GHSN\x0b") + std::string(9, '\xff') + "\x02"),
            "snapshot decode: version: number exceeds 64 bits (at byte 5)");
}

TEST(SnapshotCodecErrors, CountBeyondInput) {
  // One route table claimed to hold 1000 rules, with 2 bytes left.
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x01\xe8\x07\x00\x00", 15)),
            "snapshot decode: routeTables[0].rules: count 1000 exceeds the 2 bytes left (at byte 11)");
}

TEST(SnapshotCodecErrors, StringBeyondInput) {
  // One socket whose address claims 100 bytes.
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x00\x01\x64pq", 15)),
            "snapshot decode: sockets[0].address: string of 100 bytes exceeds the 2 bytes left (at byte 12)");
}

TEST(SnapshotCodecErrors, TooManyClusterSlots) {
  // 2^20 + 1 slots, none present: per-slot state would need memory the input never paid for.
  const std::string bytes("GHSN\x0b\x00\x81\x80\x40\x00\x00\x00\x00\x00", 14);
  EXPECT_EQ(decodeError(bytes), "snapshot decode: clusters.slots: value 1048577 exceeds 1048576 (at byte 6)");
  auto decoded = decode(bytes, DecodeLimits{.max_cluster_slots = 1u << 21});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value()->clusters.size(), 1048577u);
}

TEST(SnapshotCodecErrors, ClusterSlotOutOfRange) {
  // Two slots, one cluster, after two empty ones.
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x02\x01\x02", 9)),
            "snapshot decode: clusters.gap: slot 2 out of range (2 slots) (at byte 8)");
}

TEST(SnapshotCodecErrors, MoreClustersThanSlots) {
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x01\x02\x00\x00\x00\x00\x00\x00", 14)),
            "snapshot decode: clusters.present: 2 clusters do not fit in 1 slots (at byte 7)");
}

TEST(SnapshotCodecErrors, EndpointPortBeyond16Bits) {
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x01\x01\x00\x00\x00\x01\x00\x80\x80\x04\x00\x00", 19)),
            "snapshot decode: clusters[0].endpoints[0].port: value 65536 exceeds 65535 (at byte 13)");
}

TEST(SnapshotCodecErrors, BackendClusterOutOfRange) {
  Snapshot s = everyField();
  auto table = std::make_shared<RouteTable>(*routeTable("ns/r"));
  table->rules[1].backends[0].cluster = 71;
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_EQ(decodeError(encode(s)),
            "snapshot decode: routeTables[3].rules[1].backends[0].cluster: cluster 71 out of range (71 slots) (at byte "
            "2483)");
}

TEST(SnapshotCodecErrors, LocalRateLimitOutOfRange) {
  Snapshot s = everyField();
  auto table = std::make_shared<RouteTable>(*routeTable("ns/r"));
  table->rules[1].policies.local_rate_limit = 2;
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_THAT(decodeError(encode(s)),
              ::testing::StartsWith("snapshot decode: routeTables[3].rules[1].policies.localRateLimit: local rate limit 2 "
                                    "out of range (2)"));
}

TEST(SnapshotCodecErrors, GlobalRateLimitOutOfRange) {
  Snapshot s = everyField();
  auto table = std::make_shared<RouteTable>(*routeTable("ns/r"));
  table->rules[1].policies.global_rate_limit = 1;
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_THAT(decodeError(encode(s)),
              ::testing::StartsWith("snapshot decode: routeTables[3].rules[1].policies.globalRateLimit: global rate limit 1 "
                                    "out of range (1)"));
}

TEST(SnapshotCodecErrors, MirrorClusterOutOfRange) {
  Snapshot s;
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"ns/r", "", everyFilter(9), {}, 0, std::nullopt, std::nullopt});
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_EQ(decodeError(encode(s)),
            "snapshot decode: routeTables[0].rules[0].filters[1].cluster: cluster 9 out of range (0 slots) (at "
            "byte 69)");
}

TEST(SnapshotCodecErrors, UnknownFilterType) {
  Snapshot s;
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"r", "", {RequestMirror{}}, {}, 0, std::nullopt, std::nullopt});
  s.sockets.push_back({"", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  std::string bytes = encode(s);
  // The filter's type: after header, version, slots, present, local and global rate limit
  // counts, table count, rule count, route, name and the filter count.
  const size_t type_at = 5 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 1;
  ASSERT_EQ(bytes[type_at], 4);  // RequestMirror
  bytes[type_at] = 6;
  EXPECT_EQ(decodeError(bytes),
            "snapshot decode: routeTables[0].rules[0].filters[0].type: unknown filter type 6 (at byte 16)");
}

TEST(SnapshotCodecErrors, EntryRuleOutOfRange) {
  Snapshot s;
  auto table = std::make_shared<RouteTable>(*routeTable("ns/r"));
  table->entries[2].rule = 2;
  table->rules[0].policies = {};  // its rate limit would need the table everyField() has
  s.clusters.set(5, nullptr);
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_EQ(decodeError(encode(s)),
            "snapshot decode: routeTables[0].entries[2].rule: rule 2 out of range (2 rules) (at byte 556)");
}

TEST(SnapshotCodecErrors, BadRegex) {
  Snapshot s;
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"ns/r", "", {}, {}, 0, std::nullopt, std::nullopt});
  table->entries.push_back({{{PathMatch::Type::RegularExpression, "/a(", nullptr}, {}, {}, std::nullopt}, 0});
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  EXPECT_EQ(decodeError(encode(s)),
            "snapshot decode: routeTables[0].entries[0].path.value: bad regular expression \"/a(\": missing ): /a( (at "
            "byte 42)");
}

Snapshot withPathRegexes(const std::vector<std::string>& patterns) {
  Snapshot s;
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"ns/r", "", {}, {}, 0, std::nullopt, std::nullopt});
  for (const auto& p : patterns)
    table->entries.push_back({{{PathMatch::Type::RegularExpression, p, nullptr}, {}, {}, std::nullopt}, 0});
  s.sockets.push_back({"0.0.0.0", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  return s;
}

TEST(SnapshotCodecErrors, RegexProgramsBeyondTheBudget) {
  // "[a-z]{100}" compiles to 104 instructions; the second distinct one crosses 150.
  const std::string bytes = encode(withPathRegexes({"[a-z]{100}", "[a-z]{100}", "[0-9]{100}"}));
  EXPECT_EQ(decodeError(bytes), "<decoded>");
  auto decoded = decode(bytes, DecodeLimits{.max_regex_program_size = 150});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message,
            "snapshot decode: routeTables[0].entries[2].path.value: regular expressions exceed 150 compiled "
            "instructions in total (at byte 74)");
}

TEST(SnapshotCodec, EqualPatternsShareOneCompiledRegex) {
  SnapshotPtr d = roundTrip(withPathRegexes({"/a.*", "/b.*", "/a.*"}));
  ASSERT_TRUE(d);
  const auto& entries = d->sockets[0].listeners[0].hosts.any->entries;
  EXPECT_EQ(entries[0].match.path.regex, entries[2].match.path.regex);
  EXPECT_NE(entries[0].match.path.regex, entries[1].match.path.regex);
}

TEST(SnapshotCodecErrors, UnknownEnumValue) {
  Snapshot s;
  s.sockets.push_back({"0.0.0.0", 80, static_cast<Transport>(3), ListenerKind::HttpConnectionManager, {}});
  EXPECT_EQ(decodeError(encode(s)), "snapshot decode: sockets[0].transport: unknown value 3 (at byte 21)");
}

TEST(SnapshotCodecErrors, PresenceFlagNeitherZeroNorOne) {
  Snapshot s;
  s.clusters.push_back(nullptr);
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"r", "", {}, {WeightedBackend{0, 1, {}}}, 1, std::nullopt, std::nullopt});
  s.sockets.push_back({"", 80, Transport::Tcp, ListenerKind::HttpConnectionManager, {{"ns/gw", "l", "", {}, {}}}});
  s.sockets[0].listeners[0].hosts.any = table;
  std::string bytes = encode(s);
  // The backend's cluster flag: after header, version, slots, present, local and global rate
  // limit counts, table count, rule count, route, name, the rule's empty filter list and the
  // backend count.
  const size_t flag_at = 5 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1;
  ASSERT_EQ(bytes[flag_at], 1);
  bytes[flag_at] = 2;
  EXPECT_EQ(decodeError(bytes),
            "snapshot decode: routeTables[0].rules[0].backends[0].cluster: presence flag 2 is neither 0 nor 1 (at byte "
            "17)");
}

TEST(SnapshotCodecErrors, RouteTableReferenceOutOfRange) {
  // One socket, one listener whose catch-all names table 3 of 0.
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04", 24)),
            "snapshot decode: sockets[0].listeners[0].anyHost: route table 3 out of range (0 tables) (at byte 23)");
}

TEST(SnapshotCodecErrors, DuplicateExactHost) {
  // One empty route table; one listener with exact host "a" twice.
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                    "\x02\x01" "a\x01\x01" "a\x01\x00\x00",
                                    32)),
            "snapshot decode: sockets[0].listeners[0].exactHosts[1].host: duplicate exact host \"a\" (at byte 27)");
}

TEST(SnapshotCodecErrors, ExactHostWithoutTable) {
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                    "\x01\x01" "a\x00\x00\x00",
                                    27)),
            "snapshot decode: sockets[0].listeners[0].exactHosts[0].table: exact host \"a\" has no route table (at byte "
            "24)");
}

TEST(SnapshotCodecErrors, WildcardHostWithoutTable) {
  EXPECT_EQ(decodeError(std::string("GHSN\x0b\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00"
                                    "\x00\x01\x04.a.b\x00\x00",
                                    30)),
            "snapshot decode: sockets[0].listeners[0].wildcardHosts[0].table: wildcard host \"*.a.b\" has no route "
            "table (at byte 28)");
}

// ---- per-Gateway view ---------------------------------------------------------------------------

TEST(ForGateway, KeepsOnlyTheGatewaysListenersOfASharedSocket) {
  const Snapshot s = everyField();
  const Snapshot other = forGateway(s, "other/gw2");
  ASSERT_EQ(other.sockets.size(), 1u);
  EXPECT_EQ(other.sockets[0].port, 80);
  ASSERT_EQ(other.sockets[0].listeners.size(), 1u);
  EXPECT_EQ(other.sockets[0].listeners[0].gateway, "other/gw2");
  EXPECT_EQ(other.sockets[0].listeners[0].backend_client_certificate, (TlsCertificate{"CLIENT-CERT", "CLIENT-KEY"}));
  const Snapshot gw = forGateway(s, "default/gw");
  ASSERT_EQ(gw.sockets.size(), 6u);
  ASSERT_EQ(gw.sockets[0].listeners.size(), 1u);
  EXPECT_EQ(gw.sockets[0].listeners[0].name, "http");
  EXPECT_EQ(gw.version, 42u);
}

TEST(ForGateway, KeepsOnlyReferencedClustersAtTheirIndices) {
  Snapshot s = everyField();
  auto table = std::make_shared<RouteTable>();
  table->rules.push_back(Rule{"other/r", "", {}, {WeightedBackend{5, 1, {}}}, 1, std::nullopt, std::nullopt});
  s.sockets[0].listeners[1].hosts.setExact("other.example", table);
  const Snapshot other = forGateway(s, "other/gw2");
  EXPECT_EQ(other.clusters.size(), 71u);
  EXPECT_EQ(other.clusters.get(0), nullptr);
  EXPECT_EQ(other.clusters.get(3), nullptr);
  EXPECT_EQ(other.clusters.get(5), s.clusters.get(5));  // shared, not copied
  // default/gw names cluster 0 and 3 as backends, 3 as a rule mirror, 5 as a backend mirror.
  const Snapshot gw = forGateway(s, "default/gw");
  EXPECT_NE(gw.clusters.get(0), nullptr);
  EXPECT_NE(gw.clusters.get(3), nullptr);
  EXPECT_NE(gw.clusters.get(5), nullptr);
  EXPECT_EQ(s.clusters.get(0)->name, "default/web:80");  // the full snapshot is untouched
}

TEST(ForGateway, UnknownGatewayGetsNothing) {
  const Snapshot none = forGateway(everyField(), "default/absent");
  EXPECT_TRUE(none.sockets.empty());
  for (uint32_t i = 0; i < none.clusters.size(); ++i) EXPECT_EQ(none.clusters.get(i), nullptr) << i;
}

TEST(ForGateway, EncodesAndDecodes) {
  const Snapshot gw = forGateway(everyField(), "other/gw2");
  SnapshotPtr d = roundTrip(gw);
  ASSERT_TRUE(d);
  EXPECT_EQ(encode(*d), encode(gw));
  EXPECT_LT(encode(gw).size(), encode(everyField()).size() / 3);
}

}  // namespace
}  // namespace gatehouse::snapshot
