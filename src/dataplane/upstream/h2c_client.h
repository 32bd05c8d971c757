#pragma once
// HTTP/2 upstreams with libnghttp2: cleartext with prior knowledge (Service appProtocol
// kubernetes.io/h2c, gRPC), or over TLS with ALPN "h2" when a BackendTLSPolicy covers the
// backend. Per worker, endpoint and TLS context (none for cleartext; see
// tls::UpstreamContext::id): requests are multiplexed as streams on a session with room, at most
// kMaxStreamsPerSession (100) or the peer's SETTINGS_MAX_CONCURRENT_STREAMS if lower; when every
// session is full, another one is opened (as HAProxy does). One session carrying all of a
// worker's streams made an nginx backend spend 4x the CPU per gRPC call (its output queue is
// ordered by a linear scan). A session that is closed, got GOAWAY or ran out of stream ids takes
// no new streams. Idle sessions close after Timeouts::upstream_idle.
//
// An exchange is buffered (BufferedRequest in, BufferedResponse out; bounded by
// ExchangeOptions::max_body) or streamed (streaming.h; the response holds at most one stream
// window, 256 KiB, until the caller takes it). Translation to HTTP/2: :method, :scheme ("http", or
// "https" over TLS), :authority, :path;
// field names lower-cased; connection-specific fields dropped (connection, keep-alive,
// proxy-connection, transfer-encoding, upgrade, host) and te unless it is "trailers".
// Response trailers are kept (BufferedResponse::trailers).
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/tls/upstream_context.h"
#include "dataplane/upstream/exchange.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {
class Worker;
}

namespace gatehouse::dataplane::upstream {

class H2cSession;
class StreamingExchange;
struct StreamedRequest;

class H2cClients {
 public:
  explicit H2cClients(Worker& worker);
  ~H2cClients();
  H2cClients(const H2cClients&) = delete;
  H2cClients& operator=(const H2cClients&) = delete;

  // One request on a stream of the endpoint's session with `tls` (null: cleartext), opened when
  // there is none usable. A stream refused or lost before any response byte on a reused session
  // is retried once on a new session. A failed TLS handshake is a BadResponse.
  boost::asio::awaitable<Outcome> exchange(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                           const BufferedRequest& request, BufferedResponse& response,
                                           ExchangeOptions options);

  // A streamed exchange (streaming.h) on a stream of the endpoint's session. Request trailers
  // go out as a trailing HEADERS frame; response trailers come with the end of the body.
  boost::asio::awaitable<Outcome> openStreaming(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                                const StreamedRequest& request, ExchangeOptions options,
                                                std::shared_ptr<StreamingExchange>& exchange);

  size_t sessionCount() const;       // live sessions
  uint64_t sessionsOpened() const { return opened_; }

 private:
  std::shared_ptr<H2cSession> sessionFor(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                         bool& fresh);

  Worker& worker_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<H2cSession>>> sessions_;  // "ip:port", "ip:port/tls-id"
  uint64_t opened_ = 0;
};

}  // namespace gatehouse::dataplane::upstream
