#pragma once
// Buffered upstream exchanges: one whole request (head + body in memory) out, one whole response
// (or only its head, the body drained) back. Used where the request body is already at hand and
// bounded: request mirrors (fire and forget). Client requests stream: HTTP/1.1 to HTTP/1.1 in
// http/h1_upstream_exchange.cc, the others through upstream/streaming.h.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/message.h"
#include "dataplane/proxy_error.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {
class Worker;
}

namespace gatehouse::dataplane::tls {
class UpstreamContext;
}

namespace gatehouse::dataplane::upstream {

using Clock = std::chrono::steady_clock;

struct BufferedRequest {
  std::string method;
  std::string authority;  // sent as Host (HTTP/1.1) or :authority (HTTP/2)
  std::string path;       // origin form, with the query
  http::Headers headers;  // no Host, no hop-by-hop or framing fields
  std::string body;       // decoded
  bool has_body = false;  // send a Content-Length (even 0): the client's request had a body
};

struct BufferedResponse {
  uint16_t status = 0;
  http::Headers headers;  // hop-by-hop and framing fields removed
  std::string body;       // empty unless kept (ExchangeOptions::keep_body)
  http::Headers trailers;  // HTTP/2 only (gRPC's grpc-status); an HTTP/1.1 exchange drops them
};

// The largest upstream HTTP/1.1 response head read, buffered or streamed (a 502 beyond it).
inline constexpr size_t kMaxResponseHead = 64 * 1024;

struct ExchangeOptions {
  Clock::time_point deadline = Clock::time_point::max();  // whole exchange; then TimedOut
  size_t max_body = 8 * 1024 * 1024;                      // kept response body; larger: TooLarge
  bool keep_body = true;                                  // false: read and drop the body
  // A pooled connection found closed before any response byte is replaced and the request sent
  // again. False when the caller retries failed attempts itself (pipeline/retry.h): each
  // attempt it counts must be one request the backend saw.
  bool replay_stale = true;
};

// True for fields that never cross a proxy (RFC 9110 §7.6.1) plus the framing fields the proxy
// writes itself (content-length, transfer-encoding) and host.
bool isConnectionSpecific(std::string_view name);

// Cancels a socket's pending operations when a deadline passes. The timer's handler shares a
// small state block with the guard, so it is safe when it runs after the guard is gone.
class SocketDeadline {
 public:
  SocketDeadline(boost::asio::io_context& io, boost::asio::ip::tcp::socket& socket, Clock::time_point at);
  ~SocketDeadline();
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;
  bool fired() const { return state_->fired; }

 private:
  struct State {
    boost::asio::ip::tcp::socket* socket;
    bool fired = false;
  };
  std::shared_ptr<State> state_;
  boost::asio::steady_timer timer_;
};

// One request over HTTP/1.1 to `endpoint`, over TLS with `tls` (null: plaintext), on a pooled
// keep-alive connection when the worker has one (retried once on a new connection when the
// pooled one turns out closed before any response byte). The connection goes back to the pool
// when the response ended cleanly. A failed TLS handshake is a BadResponse.
boost::asio::awaitable<Outcome> exchangeH1(Worker& worker, const snapshot::Endpoint& endpoint,
                                           const tls::UpstreamContext* tls, const BufferedRequest& request,
                                           BufferedResponse& response, ExchangeOptions options);

// The HTTP/1.1 request head for `request` (Host first, then the fields, Content-Length when it
// has a body).
std::string serializeH1Head(const BufferedRequest& request);
// The same up to the framing fields: request line, Host and the fields, without Content-Length
// and the blank line (`body` and `has_body` are not read), for a streamed exchange to add its own.
std::string serializeH1HeadFields(const BufferedRequest& request);

}  // namespace gatehouse::dataplane::upstream
