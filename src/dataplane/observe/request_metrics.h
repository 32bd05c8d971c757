#pragma once
// Per-worker request and connection counters, the data plane's half of GET /metrics. Each
// worker owns one RequestMetrics and is the only thread that touches it: the request path
// increments plain integers (no atomics, no locks). A scrape posts to every worker, which copies
// its counters (RequestMetrics::copy) on its own thread; the copies are merged and rendered off
// the request path (MetricsData).
//
// Series are keyed by one string of their label values. A request of the worker's current
// generation finds its series by the addresses of its listener, rule and cluster instead (a few
// words hashed, not the ~100-byte key built); that index is dropped when the generation changes,
// since the addresses then mean nothing. Cardinality is bounded: past
// kMaxSeries series in a family, requests of unseen routes count in their listener's series
// with empty route_* and backend labels. With per-route labels off (--metrics-per-route-labels
// false) every request counts so: series grow with listeners, never with routes.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics/exposition.h"
#include "common/metrics/histogram.h"
#include "dataplane/filters/mirror_stats.h"
#include "dataplane/generation.h"
#include "dataplane/policies/redis/redis_call_counts.h"
#include "dataplane/proxy_error.h"

namespace gatehouse::dataplane {
struct RequestContext;
}

namespace gatehouse::dataplane::observe {

// One label set of http_server/client_request_duration_seconds, in exposition order.
struct SeriesLabels {
  std::string method;
  std::string status;      // empty when no response
  std::string error_type;  // empty unless the request failed
  std::string gateway_namespace, gateway_name, listener;
  std::string route_kind, route_namespace, route_name, route_rule;
  std::string backend;
};

struct Series {
  SeriesLabels labels;
  metrics::Histogram duration;
  // Server leg only: the requests' bytes (as the access log counts them) and retries.
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t retries = 0;
};

using SeriesMap = std::unordered_map<std::string, Series, StringHash, std::equal_to<>>;

// Why a downstream TLS handshake failed: a bounded label (tlsHandshakeFailureOf()).
enum class TlsHandshakeFailure : uint8_t {
  Timeout,              // Timeouts::tls_handshake passed
  Closed,               // the client closed or reset the connection
  ClientCertificate,    // mTLS: no client certificate, or it did not verify
  CertificateRejected,  // the client refused ours (a certificate alert)
  Protocol,             // anything else: not TLS, no common version or cipher, a bad message
};
inline constexpr size_t kTlsHandshakeFailures = 5;
std::string_view tlsHandshakeFailureName(TlsHandshakeFailure reason);

// Connections of one socket (Socket::identity()) accepted by one worker.
struct ConnectionCounts {
  uint64_t active = 0;
  uint64_t total = 0;
  // HTTP: the requests' bytes as the access log counts them; L4: the bytes relayed.
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t tls_handshakes = 0;  // completed
  std::array<uint64_t, kTlsHandshakeFailures> tls_handshake_failures{};

  void add(const ConnectionCounts& other);
  void tlsHandshakeFailed(TlsHandshakeFailure reason) { ++tls_handshake_failures[static_cast<size_t>(reason)]; }
};

struct ConnectionSeries {
  std::string gateway_namespace, gateway_name, listener;
  bool tls = false;  // the socket terminates TLS: its handshake series are rendered
  ConnectionCounts counts;
};

// What one worker counted, copied on its thread; merge() sums copies of several workers.
struct MetricsData {
  SeriesMap server;  // downstream leg
  SeriesMap client;  // upstream attempts
  std::map<std::string, ConnectionSeries> connections;  // by socket identity
  filters::MirrorStats mirrors;
  // Decisions of each local rate limit of the process (DataPlane::metrics adds them once).
  struct RateLimitCounts {
    std::string policy, target;
    uint64_t allowed = 0, limited = 0;
  };
  std::vector<RateLimitCounts> rate_limits;
  // Decisions of each global rate limit (added once, like rate_limits).
  struct GlobalRateLimitCounts {
    std::string policy, target;
    uint64_t allowed = 0, limited = 0, failed_open = 0, failed_closed = 0;
  };
  std::vector<GlobalRateLimitCounts> global_rate_limits;
  // Calls to the global rate limits' Redis; unset when none is configured.
  std::optional<redis::RedisCallCounts> redis_calls;

  void merge(const MetricsData& other);
  void render(metrics::Exposition& out) const;
};

class RequestMetrics {
 public:
  static constexpr size_t kMaxSeries = 2000;

  explicit RequestMetrics(bool per_route_labels = true) : per_route_labels_(per_route_labels) {}

  // Counts a finished request: its downstream leg and, when it went upstream, its attempt.
  void observe(const RequestContext& ctx, std::chrono::steady_clock::time_point now);
  // Counts one upstream attempt of ctx that is retried: its response `status`, or `error`.
  void observeAttempt(const RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error,
                      std::chrono::steady_clock::time_point now);
  // The worker serves `generation` from now on; it must stay alive until the next call.
  void setGeneration(const Generation* generation) {
    by_address_.clear();
    generation_ = generation;
  }
  // The counters of `identity`'s connections; the reference stays valid for the worker's life.
  ConnectionCounts& connections(const std::string& identity) { return connections_[identity]; }

  // Worker thread: a copy, with connection labels from the listeners of `generation`. Sockets
  // the generation no longer has are left out.
  MetricsData copy(const Generation* generation) const;

 private:
  struct Leg {
    uint16_t status = 0;
    std::string_view failure;  // error_type of a failure without response
  };
  Series& count(SeriesMap& map, const RequestContext& ctx, Leg leg, bool client, double seconds);
  Series& series(SeriesMap& map, const RequestContext& ctx, std::string_view method, Leg leg, bool client);

  // The method and failure are static strings (methodLabel, errorTypeOf): compared by address too.
  struct AddressKey {
    const void* listener;
    const void* rule;
    const void* cluster;
    const char* method;
    const char* failure;
    uint16_t status;
    bool client;
    bool operator==(const AddressKey&) const = default;
  };
  struct AddressKeyHash {
    size_t operator()(const AddressKey& k) const;
  };

  // Off process-wide (the flag), or for the listener's Gateway (its GatehouseParameters).
  bool perRouteLabels(const RequestContext& ctx) const;

  const bool per_route_labels_;
  SeriesMap server_;
  SeriesMap client_;
  const Generation* generation_ = nullptr;
  std::unordered_map<AddressKey, Series*, AddressKeyHash> by_address_;  // into server_/client_
  std::map<std::string, ConnectionCounts, std::less<>> connections_;
  std::string key_;  // reused for every lookup
};

// The OpenTelemetry http.request.method value: a known method, else "_OTHER".
std::string_view methodLabel(std::string_view method);

}  // namespace gatehouse::dataplane::observe
