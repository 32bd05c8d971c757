#pragma once
// Limits and timeouts of the data plane. Defaults follow nginx/Envoy where they agree.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace gatehouse::dataplane {

struct Limits {
  // Size of a connection's read buffer; also the largest request or response head accepted
  // (a larger head gets 431 downstream, 502 upstream).
  size_t read_buffer_bytes = 16 * 1024;
  int listen_backlog = 4096;
  // Idle keep-alive connections kept per upstream endpoint per worker (LIFO beyond: closed).
  size_t max_idle_per_endpoint = 64;
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
  std::chrono::milliseconds l4_drain{30'000};       // socket removed -> its connections closed
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

struct Options {
  unsigned workers = 1;
  Limits limits;
  Timeouts timeouts;
  EscapedSlashes escaped_slashes = EscapedSlashes::Reject;
};

}  // namespace gatehouse::dataplane
