#pragma once
// The compiled, immutable configuration the data plane serves. The translator builds one
// Snapshot per accepted configuration; workers pin it per connection (shared_ptr<const>), so
// in-flight requests finish on the tables they started with and the last reference frees them.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace re2 {
class RE2;
}

namespace gatehouse::snapshot {

// ---- upstreams ------------------------------------------------------------------------------

// An upstream address. `ip` is parsed once, when the endpoint is built, into `address` (network
// byte order): connecting and pool lookups never parse text on the request path. Plain data, so
// the snapshot can be sent to a data plane in another process.
struct Endpoint {
  enum class Family : uint8_t { Invalid, V4, V6 };
  Endpoint() = default;
  Endpoint(std::string ip, uint16_t port);

  std::string ip;  // numeric IPv4/IPv6 literal, as written in the EndpointSlice
  uint16_t port = 0;
  Family family = Family::Invalid;  // Invalid: `ip` is not a numeric literal (connect fails: 503)
  std::array<uint8_t, 16> address{};  // V4: the first 4 bytes
  bool operator==(const Endpoint&) const = default;
};

enum class UpstreamProtocol { Http1, H2c, WebSocket };

// A BackendTLSPolicy's TLS to every endpoint of a cluster: SNI `sni`; the server's chain must end
// at one of `ca_pem`'s certificates (empty: the system's trust store) and its certificate must
// name `sni`, or, when subjectAltNames are given, one of `dns_names` / `uris`. Not usable (no CA
// the policy names could be loaded): requests fail, they never go out in plaintext.
struct UpstreamTls {
  std::string sni;
  std::string ca_pem;
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  bool usable = true;
  bool operator==(const UpstreamTls&) const = default;
};

// One backendRef target: a Service port (namespace/name:port). Endpoints come from the
// Service's EndpointSlices; an empty list means the backend has no ready endpoint (503).
struct Cluster {
  std::string name;  // "namespace/service:port"
  UpstreamProtocol protocol = UpstreamProtocol::Http1;
  std::vector<Endpoint> endpoints;
  std::optional<UpstreamTls> tls = std::nullopt;  // BackendTLSPolicy of the Service port
};

// ---- filters (Gateway API HTTPRoute filters, compiled) ---------------------------------------
// Each filter type is plain data (the codec serialises it); its compile step lives in
// translator/filters/, its apply steps in dataplane/filters/. A new filter adds its struct here
// and one alternative to `Filter`.

struct HeaderModifier {
  std::vector<std::pair<std::string, std::string>> set;  // names as written
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct RequestHeaderModifier : HeaderModifier {};
struct ResponseHeaderModifier : HeaderModifier {};

struct PathModifier {
  enum class Type { ReplaceFullPath, ReplacePrefixMatch };
  Type type = Type::ReplaceFullPath;
  std::string value;
};

struct RequestRedirect {
  std::optional<std::string> scheme;    // "http" | "https"
  std::optional<std::string> hostname;
  std::optional<PathModifier> path;
  std::optional<uint16_t> port;
  uint16_t status_code = 302;
};

struct UrlRewrite {
  std::optional<std::string> hostname;
  std::optional<PathModifier> path;
};

struct RequestMirror {
  uint32_t cluster = 0;  // index into Snapshot::clusters
  // Fraction mirrored = numerator / denominator (Gateway API percent or fraction).
  uint32_t numerator = 100;
  uint32_t denominator = 100;
};

// HTTPRoute CORS: the gateway answers preflights and adds the CORS headers to actual responses
// of an allowed Origin. Lists as written ("*" alone means any); origins may hold one "*" label
// wildcard ("https://*.example.com").
struct Cors {
  std::vector<std::string> allow_origins, allow_methods, allow_headers, expose_headers;
  bool allow_credentials = false;
  uint32_t max_age = 5;  // seconds
};

// The codec writes the alternative's index: append new types, never reorder.
using Filter =
    std::variant<RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, UrlRewrite, RequestMirror, Cors>;

// The filters of one rule or of one backendRef, in the order the route lists them. Validation
// allows each type once (RequestMirror excepted) and never RequestRedirect with URLRewrite, so
// the types' steps commute within one phase: list order is the spec's order.
using Filters = std::vector<Filter>;

// ---- routes ---------------------------------------------------------------------------------

struct StringMatch {
  enum class Type { Exact, RegularExpression };
  Type type = Type::Exact;
  std::string name;   // header names lower-cased; query param names as written (case-sensitive)
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // set for RegularExpression
};

struct PathMatch {
  enum class Type { Exact, PathPrefix, RegularExpression };
  Type type = Type::PathPrefix;
  std::string value = "/";
  std::shared_ptr<const re2::RE2> regex;
};

struct RouteMatch {
  PathMatch path;
  std::vector<StringMatch> headers;
  std::vector<StringMatch> query_params;
  std::optional<std::string> method;
};

struct WeightedBackend {
  // Index into Snapshot::clusters, or nullopt when the backendRef is invalid (unresolved,
  // not permitted, unsupported kind): requests picked for it get a 500, as the spec requires.
  std::optional<uint32_t> cluster;
  uint32_t weight = 1;
  Filters filters;
};

// HTTPRoute retry (GEP-1731): after a failed attempt the request is sent again, up to `attempts`
// more times, when the failure is a connection error, a backend timeout or one of `codes`
// (sorted). Before retry n the gateway waits min(backoff_ms * 2^(n-1), 10 * backoff_ms), jittered
// down to no less than backoff_ms. See dataplane/pipeline/retry.h.
struct RetryPolicy {
  std::vector<uint16_t> codes;
  uint32_t attempts = 1;
  uint32_t backoff_ms = 25;
  bool operator==(const RetryPolicy&) const = default;
};

// ---- policies (Gatehouse's gatehouse.dev kinds, compiled by translator/policies/) -------------

// A RateLimitPolicy's local limit on one target: a token bucket of `requests` that refills
// over `window_ms`, kept in each gateway process (shared by its workers), one per target or per
// key. Its identity (policy, target, settings) decides whether a new snapshot keeps the bucket.
struct LocalRateLimit {
  enum class Key : uint8_t { Target, ClientAddress, Header };
  std::string policy;  // "namespace/name" of the RateLimitPolicy
  std::string target;  // "HTTPRoute/namespace/name[/rule]" or "Gateway/namespace/name[/listener]"
  uint32_t requests = 1;
  uint64_t window_ms = 1000;
  Key key = Key::Target;
  std::string header;  // Key::Header: lower-case name
  uint32_t max_keys = 10000;
  bool operator==(const LocalRateLimit&) const = default;
};

// A RateLimitPolicy's global limit on one target: the same bucket as a LocalRateLimit's, kept in
// Redis and shared by every replica (dataplane/policies/global_rate_limiter.h). When Redis does not
// answer in time, `fail_closed` answers 503, else the request goes on.
struct GlobalRateLimit {
  using Key = LocalRateLimit::Key;
  std::string policy;  // "namespace/name" of the RateLimitPolicy
  std::string target;  // as LocalRateLimit::target
  uint32_t requests = 1;
  uint64_t window_ms = 1000;
  Key key = Key::Target;
  std::string header;  // Key::Header: lower-case name
  bool fail_closed = false;
  bool operator==(const GlobalRateLimit&) const = default;
};

// A FaultInjectionPolicy: abort and delay, each of a percentage of requests.
struct FaultInjection {
  struct Abort {
    uint32_t percentage = 100;
    std::optional<uint16_t> http_status;
    std::optional<uint8_t> grpc_status;  // answers gRPC requests when set
    bool operator==(const Abort&) const = default;
  };
  struct Delay {
    uint32_t percentage = 100;
    uint32_t delay_ms = 0;
    bool operator==(const Delay&) const = default;
  };
  std::optional<Abort> abort;
  std::optional<Delay> delay;
  bool operator==(const FaultInjection&) const = default;
};

// The policies in effect on a rule or a listener, one member per kind (unset: none). At request
// time a rule's member wins over its listener's (the most specific target wins).
struct Policies {
  std::optional<uint32_t> local_rate_limit;   // index into Snapshot::local_rate_limits
  std::optional<uint32_t> global_rate_limit;  // index into Snapshot::global_rate_limits
  std::optional<FaultInjection> fault;
  // The member came from a policy's spec.overrides (GEP-713): a more specific one does not
  // replace it.
  bool rate_limit_overrides = false;
  bool fault_overrides = false;
  bool empty() const { return !local_rate_limit && !global_rate_limit && !fault; }
  // Each member `specific` sets replaces this one's, unless this one overrides. Local and global
  // limits come from one RateLimitPolicy, so a more specific policy replaces both (an unset one
  // included).
  void overlay(const Policies& specific) {
    if (!rate_limit_overrides && (specific.local_rate_limit || specific.global_rate_limit)) {
      local_rate_limit = specific.local_rate_limit;
      global_rate_limit = specific.global_rate_limit;
      rate_limit_overrides = specific.rate_limit_overrides;
    }
    if (!fault_overrides && specific.fault) {
      fault = specific.fault;
      fault_overrides = specific.fault_overrides;
    }
  }
  bool operator==(const Policies&) const = default;
};

struct Rule {
  std::string route;  // "namespace/name" of the HTTPRoute, for logs and metrics
  std::string name;   // the rule's sectionName, may be empty
  Filters filters;
  std::vector<WeightedBackend> backends;  // weight 0 entries are dropped at compile time
  // 0 (no backendRefs, or all of weight 0) and no redirect: the rule answers 500, as does a
  // request picked for an invalid backend.
  uint64_t total_weight = 0;
  std::optional<uint32_t> request_timeout_ms;
  std::optional<uint32_t> backend_request_timeout_ms;
  // For logs and metrics: the route's kind, and the rule's zero-based position among its route's
  // rules (the route_rule label of an unnamed rule). Last, so aggregate initialisers stay valid.
  std::string route_kind = "HTTPRoute";
  uint32_t index = 0;
  std::optional<RetryPolicy> retry;
  Policies policies;  // attached to the rule or its route
};

// One (match, rule) pair. A route table holds them sorted by Gateway API precedence, so
// routing takes the first entry that matches.
struct RouteEntry {
  RouteMatch match;
  uint32_t rule = 0;  // index into RouteTable::rules
};

struct RouteTable {
  std::vector<RouteEntry> entries;
  std::vector<Rule> rules;
};

// Hash for maps keyed by std::string that the data plane looks up by std::string_view without
// building a std::string (heterogeneous lookup, C++20): routing must not allocate per request.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

using RouteTablePtr = std::shared_ptr<const RouteTable>;

// Host name -> route table for one listener. Exact names first, then wildcard suffixes longest
// first ("*.example.com" matches any name ending in ".example.com"), then the catch-all.
// Exact names live in shards shared between snapshots: changing one host copies one shard,
// not the whole map, so a route change costs the same at 50,000 hosts as at 50.
class HostTable {
 public:
  // Sets (nullptr: removes) the table of an exact, lower-case host name.
  void setExact(const std::string& host, RouteTablePtr table);
  const RouteTable* exact(std::string_view host) const;
  size_t exactCount() const;
  template <class F>
  void forEachExact(F&& f) const {
    for (const auto& shard : shards_)
      if (shard)
        for (const auto& [host, table] : *shard) f(host, table);
  }

  std::vector<std::pair<std::string, RouteTablePtr>> wildcard_suffix;  // ".example.com" -> table
  RouteTablePtr any;                                                    // routes with no host limit

 private:
  using Shard = std::unordered_map<std::string, RouteTablePtr, StringHash, std::equal_to<>>;
  static constexpr size_t kShards = 256;
  // Empty until the first exact host. A shard is changed in place only while no other table
  // (no published snapshot) shares it.
  std::vector<std::shared_ptr<Shard>> shards_;
};

// ---- listeners ------------------------------------------------------------------------------

// How bytes arrive on a socket. Tls: the gateway terminates TLS with the listeners' certificates
// (chosen by SNI) before the listener kind sees the bytes.
enum class Transport : uint8_t { Tcp, Tls, Udp };

// What serves a socket's connections (the data plane picks the connection handler from this):
//   HttpConnectionManager  HTTP/1.1 and HTTP/2 over Tcp or Tls (HTTP, HTTPS listeners)
//   TlsPassthrough         routes by the ClientHello's SNI without terminating (TLS listener, Passthrough), over Tcp
//   TcpProxy               bytes to one backend (TCP listener; TLS listener in Terminate mode: over Tls)
//   UdpProxy               datagrams to one backend (UDP listener), over Udp
//   SniDispatch            HTTPS, TLS Terminate and TLS Passthrough listeners on one port, over Tcp:
//                          the ClientHello's SNI picks the listener, whose kind then serves
//                          (terminated with the socket's certificates, or passed through)
// The codec writes the value: append new kinds, never reorder.
enum class ListenerKind : uint8_t { HttpConnectionManager, TlsPassthrough, TcpProxy, UdpProxy, SniDispatch };

struct TlsCertificate {
  std::string cert_pem;  // leaf + chain
  std::string key_pem;
  bool operator==(const TlsCertificate&) const = default;
};

// Client certificate validation on an HTTPS listener (the Gateway's spec.tls.frontend for its
// port): the handshake asks for a certificate, which must chain to one of `ca_pem`'s
// certificates; with allow_insecure_fallback a missing or failing certificate is let through.
struct ClientValidation {
  std::string ca_pem;
  bool allow_insecure_fallback = false;
  bool operator==(const ClientValidation&) const = default;
};

// A Gateway listener as served: requests pick the most specific listener of their socket whose
// hostname matches the Host (GatewayHTTPListenerIsolation), then route within it only.
// The request metrics a listener's Gateway asks for (its GatehouseParameters' spec.metrics): a
// process flag can turn either off for every Gateway, not back on.
struct ListenerMetrics {
  bool requests = true;          // http_server_* / http_client_* series at all
  bool per_route_labels = true;  // route_* and backend labels on them
  bool operator==(const ListenerMetrics&) const = default;
};

struct Listener {
  std::string gateway;  // "namespace/name"
  std::string name;     // spec.listeners[].name; a ListenerSet's: "<namespace>/<set>/<name>"
  std::string hostname;  // empty = any host
  // HTTP kinds: route tables by request host. L4 kinds: each table holds one rule (the serving
  // route's backends) and no entries; TLS passthrough looks it up by SNI, TCP and UDP use `any`.
  HostTable hosts;
  std::vector<TlsCertificate> certificates;  // HTTPS, TLS Terminate: chosen by SNI among these
  // What the listener's connections become; differs from its socket's kind only on SniDispatch
  // sockets (HttpConnectionManager: HTTPS; TcpProxy: TLS Terminate; TlsPassthrough).
  ListenerKind kind = ListenerKind::HttpConnectionManager;
  std::optional<ClientValidation> client_validation = std::nullopt;
  Policies policies = {};  // attached to the listener or its Gateway
  // The Gateway's spec.tls.backend.clientCertificateRef: presented to every backend of a request
  // that came in on this listener when that backend's BackendTLSPolicy makes the connection TLS.
  // Per listener, not per cluster: two Gateways may send to one backend with different certificates.
  std::optional<TlsCertificate> backend_client_certificate = std::nullopt;
  ListenerMetrics metrics = {};
};

// One bound socket: address + port (+ transport). Listeners of any Gateway that share it are
// merged here; `identity` stays equal across snapshots while the socket's bind parameters are
// unchanged, so the data plane keeps the socket (and its connections) open.
struct Socket {
  std::string address;
  uint16_t port = 0;
  Transport transport = Transport::Tcp;
  ListenerKind kind = ListenerKind::HttpConnectionManager;
  std::vector<Listener> listeners;  // most specific hostname first; "" last
  // TCP and UDP may share a port number: a UDP socket's identity says so.
  std::string identity() const {
    return address + ":" + std::to_string(port) + (transport == Transport::Udp ? "/udp" : "");
  }
};

using ClusterPtr = std::shared_ptr<const Cluster>;

// Clusters by index (WeightedBackend::cluster, RequestMirror::cluster). Slots live in chunks
// shared between snapshots and copied on write, so a snapshot that changes one cluster copies
// one chunk, not every pointer.
class ClusterTable {
 public:
  const Cluster* get(uint32_t index) const {
    if (index >= size_) return nullptr;
    const auto& chunk = chunks_[index / kChunk];
    return chunk ? (*chunk)[index % kChunk].get() : nullptr;
  }
  void set(uint32_t index, ClusterPtr cluster);
  void push_back(ClusterPtr cluster) { set(static_cast<uint32_t>(size_), std::move(cluster)); }
  size_t size() const { return size_; }  // slots, some possibly empty

 private:
  static constexpr size_t kChunk = 64;
  using Chunk = std::array<ClusterPtr, kChunk>;
  std::vector<std::shared_ptr<Chunk>> chunks_;  // changed in place only while not shared
  size_t size_ = 0;
};

struct Snapshot {
  uint64_t version = 0;
  std::vector<Socket> sockets;
  ClusterTable clusters;
  std::vector<LocalRateLimit> local_rate_limits;    // Policies::local_rate_limit indexes it
  std::vector<GlobalRateLimit> global_rate_limits;  // Policies::global_rate_limit indexes it
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace gatehouse::snapshot
