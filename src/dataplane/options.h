#pragma once
// Limits and timeouts of the data plane. Defaults follow nginx/Envoy where they agree.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/observe/access_log_fields.h"
#include "dataplane/policies/redis/redis_options.h"

namespace gatehouse::dataplane {

namespace observe {
class SpanExporter;
}

struct Limits {
  // Size of a connection's read buffer; also the largest request or response head accepted
  // (a larger head gets 431 downstream, 502 upstream).
  size_t read_buffer_bytes = 16 * 1024;
  int listen_backlog = 4096;
  // Idle keep-alive connections kept per upstream endpoint per worker (LIFO beyond: closed). As
  // many as requests a worker may have in flight to one endpoint: responses come back in bursts
  // (HTTP/2 clients multiplex), and a smaller bound closed half of them only to open them again
  // for the next requests (64: one connect per two requests at 500 streams in flight). Idle ones
  // still close after Timeouts::upstream_idle.
  size_t max_idle_per_endpoint = 1024;
  // UDP sessions (client addresses) per worker and listener; new clients beyond are dropped.
  size_t udp_sessions = 16384;
};

struct Timeouts {
  std::chrono::milliseconds request_header{30'000};   // first byte -> complete head; then 408
  std::chrono::milliseconds keepalive_idle{60'000};   // no byte of a next request: close
  std::chrono::milliseconds upstream_connect{5'000};  // then 503
  std::chrono::milliseconds upstream_idle{60'000};    // pooled upstream connection lifetime idle
  std::chrono::milliseconds body_idle{60'000};        // no progress while relaying a body: close
  std::chrono::milliseconds tls_handshake{10'000};
  // TCP proxy and TLS passthrough (dataplane/l4/l4_proxy.h).
  std::chrono::milliseconds tcp_idle{3'600'000};    // no byte either way: close both (Envoy's default)
  std::chrono::milliseconds client_hello{10'000};   // accept -> complete ClientHello (slowloris)
  // Socket, route or backend removed -> the established connections it served closed (serve
  // --l4-drain-timeout).
  std::chrono::milliseconds l4_drain{30'000};
  std::chrono::milliseconds udp_idle{60'000};       // no datagram either way: the UDP session ends
};

// What an escaped "/" or "\" (%2F, %5C, either case) in a request path means. The router and the
// backend must agree on the path's segments; a backend that decodes %2F into "/" would otherwise
// serve "/public%2F..%2Fadmin" as /admin while the gateway routed it as one segment. See
// docs/design/path-normalisation.md.
enum class EscapedSlashes : uint8_t {
  Reject,    // 400 Bad Request (default: nothing ambiguous reaches a route or a backend)
  Unescape,  // both become "/" before dot-segment removal and merging; routed and forwarded so
  Keep,      // left encoded (upper-case hex), a literal byte inside a segment; safe only when every
             // backend treats them so too
};

// Downstream HTTP/2 (h2c and ALPN h2). A peer over a limit gets the stream reset (header list) or
// the connection closed with GOAWAY (resets, CONTINUATION frames; nghttp2's own flood limits for
// SETTINGS, PING and other frames it must answer stay on).
struct Http2Limits {
  uint32_t max_concurrent_streams = 100;
  // Decoded header section per request (name + value + 32 per field, RFC 9113 6.5.2); advertised
  // as SETTINGS_MAX_HEADER_LIST_SIZE; a larger one resets the stream (HPACK bombs decode small).
  uint32_t max_header_list_bytes = 64 * 1024;
  // Stream resets the peer may cause: a burst, then a rate per second (CVE-2023-44487).
  uint64_t reset_burst = 1000;
  uint64_t resets_per_second = 33;
  // CONTINUATION frames per header block (CVE-2024-27316).
  size_t max_continuations = 8;
};

struct Options {
  unsigned workers = 1;
  Limits limits;
  Http2Limits http2;
  Timeouts timeouts;
  EscapedSlashes escaped_slashes = EscapedSlashes::Reject;
  // Where access log lines go (--access-log; writer null: no access log), with which keys
  // (--access-log-fields) and for which share of requests (--access-log-sampling).
  observe::AccessLogOptions access_log;
  // Where spans go (serve --otlp-endpoint); null: tracing off.
  std::shared_ptr<observe::SpanExporter> traces;
  // The share of new traces sampled (serve --trace-sampling); a client's sampled flag wins.
  double trace_sampling = 1.0;
  // Request metrics carry route_* and backend labels (--metrics-per-route-labels); off, their
  // series grow with listeners only.
  bool metrics_per_route_labels = true;
  // HTTP request and upstream-attempt series (--request-metrics); off, /metrics keeps the
  // connection, byte, TLS and control-plane series (and the benchmark measures what they cost).
  bool request_metrics = true;
  // The Redis of global rate limits (--rate-limit-redis, --rate-limit-redis-timeout, its AUTH and
  // TLS flags): each worker keeps one connection to it.
  redis::RedisOptions rate_limit_redis;
};

}  // namespace gatehouse::dataplane
