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
};

struct Timeouts {
  std::chrono::milliseconds request_header{30'000};   // first byte -> complete head; then 408
  std::chrono::milliseconds keepalive_idle{60'000};   // no byte of a next request: close
  std::chrono::milliseconds upstream_connect{5'000};  // then 503
  std::chrono::milliseconds upstream_idle{60'000};    // pooled upstream connection lifetime idle
  std::chrono::milliseconds body_idle{60'000};        // no progress while relaying a body: close
  std::chrono::milliseconds tls_handshake{10'000};
};

struct Options {
  unsigned workers = 1;
  Limits limits;
  Timeouts timeouts;
};

}  // namespace gatehouse::dataplane
