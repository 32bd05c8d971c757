#pragma once
// Per-request state that travels through the phases of pipeline.h. A codec fills `request`
// (and the facts it alone knows: TLS server name, start time, upgrade), the phases fill the rest.
// Everything pointed to lives in `generation`, which the context pins from routing
// until the response has ended.
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/filters/mirror.h"
#include "dataplane/generation.h"
#include "dataplane/http/message.h"
#include "dataplane/observe/request_trace.h"
#include "dataplane/proxy_error.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {

namespace observe {
struct ConnectionCounts;
}

using Clock = std::chrono::steady_clock;

// What is left of a rate limit's quota after a request (policies/policy_phase.h): the RateLimit
// headers of its answer.
struct RateLimitQuota {
  const std::string* policy = nullptr;  // "namespace/name", in the snapshot `generation` pins
  uint32_t requests = 0;
  uint64_t window_ms = 0;
  uint32_t remaining = 0;
  std::chrono::nanoseconds reset{};  // until the bucket is full again
};

struct RequestContext {
  // ---- set by the codec ----
  http::Request request;
  Clock::time_point started{};
  std::string_view server_name;  // TLS SNI of the connection; empty for plain listeners
  bool upgrade = false;          // a WebSocket upgrade: not mirrored
  boost::asio::ip::tcp::endpoint client;  // the downstream peer (access log)
  uint64_t bytes_received = 0;  // request head and body bytes read from the client
  uint64_t bytes_sent = 0;      // response bytes written (or being written) to the client
  bool http2 = false;           // arrived over HTTP/2 (spans' network.protocol.version)
  // The counters of the connection's socket: the log phase adds the request's bytes.
  observe::ConnectionCounts* connection = nullptr;

  // ---- set by the phases ----
  bool grpc = false;  // a gRPC request: gRPC-shaped local answers, grpc-timeout, HTTP/2 upstream
  GenerationPtr generation;
  const snapshot::Listener* listener = nullptr;
  const snapshot::RouteEntry* entry = nullptr;
  const snapshot::Rule* rule = nullptr;
  const snapshot::WeightedBackend* backend = nullptr;
  const snapshot::Cluster* cluster = nullptr;
  const tls::UpstreamContext* upstream_tls = nullptr;  // the cluster's BackendTLSPolicy; null: plaintext
  const snapshot::Endpoint* endpoint = nullptr;
  // The current attempt's: the rule's request / backendRequest timeout, whichever ends first.
  std::optional<Clock::time_point> deadline;
  std::vector<filters::MirrorTarget> mirrors;  // chosen copies (codec sends them once the body is read)
  // When the exchange with `endpoint` (the last attempt's) began; unset when no upstream was
  // tried. Its outcome is `error` when that is an upstream-side error, else `status` came from
  // the upstream.
  Clock::time_point upstream_started{};
  // Retries made so far (pipeline/retry.h): the attempt with `endpoint` is attempt retries + 1.
  uint32_t retries = 0;
  // The request's trace and spans (observe/tracing.h).
  observe::RequestTrace trace;
  // A FaultInjectionPolicy's delay, waited for before the first upstream attempt.
  std::optional<Clock::duration> fault_delay;
  // runRequestPhases() stopped at the global rate limit: runPendingPhases() asks Redis and goes on.
  bool phases_pending = false;
  // The tightest rate limit the request was admitted under: its RateLimit headers go on the
  // upstream's response.
  std::optional<RateLimitQuota> rate_limit;

  // ---- the outcome, for the log hook ----
  uint16_t status = 0;
  std::optional<ProxyError> error;

  // Ready for the next request on the same connection; strings keep their storage.
  void reset() {
    // clear() keeps the storage; a request refused before its head is read must not show the
    // previous one's.
    request.method.clear();
    request.scheme.clear();
    request.authority.clear();
    request.path.clear();
    started = {};
    server_name = {};
    upgrade = false;
    client = {};
    bytes_received = 0;
    bytes_sent = 0;
    http2 = false;
    connection = nullptr;
    grpc = false;
    generation.reset();
    listener = nullptr;
    entry = nullptr;
    rule = nullptr;
    backend = nullptr;
    cluster = nullptr;
    upstream_tls = nullptr;
    endpoint = nullptr;
    deadline.reset();
    mirrors.clear();
    upstream_started = {};
    retries = 0;
    trace.reset();
    fault_delay.reset();
    phases_pending = false;
    rate_limit.reset();
    status = 0;
    error.reset();
  }
};

}  // namespace gatehouse::dataplane
