#pragma once
// Streamed upstream exchanges, for the HTTP/2 codec: the request head goes out first, the body
// follows piece by piece as the client sends it, and the response comes back piece by piece as
// the client can take it. Each side only moves when the other made room, so a slow reader slows
// the upstream read and a slow upstream slows the client's upload, and the bytes in flight per
// exchange stay within the caller's buffer plus one socket read (HTTP/1.1) or one stream window
// (h2c).
//
// The request body and the response are driven by two coroutines at once (a server may answer
// before the request ended, and bidirectional gRPC needs both): one calls writeBody()/endBody(),
// the other readHead()/readBody(). cancel() ends both: an HTTP/1.1 connection is closed, an h2c
// stream reset; neither is ever reused after a cancel or a response that ended before the request.
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/upstream/exchange.h"

namespace gatehouse::dataplane::upstream {

// The request head; `request.body` is unused (the body is streamed).
struct StreamedRequest {
  BufferedRequest head;
  bool body_follows = false;                   // the client's request has a body still to come
  std::optional<uint64_t> content_length;      // the client's, when it sent one
};

struct StreamedResponseHead {
  uint16_t status = 0;
  http::Headers headers;                   // hop-by-hop and framing fields removed
  std::optional<uint64_t> content_length;  // the upstream's Content-Length (h2c: content-length field)
  bool ended = false;  // known already: no body and no trailers follow (readBody() still ends it)
};

class StreamingExchange {
 public:
  virtual ~StreamingExchange() = default;

  // Completes once the upstream took `data` (written to the socket; h2c: queued for the stream
  // while less than 64 KiB wait for its window, so that a body at hand goes out with the
  // HEADERS and END_STREAM in one write). False: the exchange failed or was cancelled.
  virtual boost::asio::awaitable<bool> writeBody(const std::string& data) = 0;
  // The end of the request body; h2c sends `trailers` (HTTP/1.1 chunked: as a trailer section).
  virtual boost::asio::awaitable<bool> endBody(http::Headers trailers) = 0;

  // The final response head (1xx skipped).
  virtual boost::asio::awaitable<Outcome> readHead(StreamedResponseHead& head) = 0;
  // Appends at most `max` (> 0) bytes of the response body to `out`; `done` once the body ended,
  // with the trailers (h2c) in `trailers`.
  virtual boost::asio::awaitable<Outcome> readBody(std::string& out, size_t max, bool& done,
                                                   http::Headers& trailers) = 0;

  virtual void cancel() = 0;
};

// Opens a streamed HTTP/1.1 exchange with `endpoint`, over TLS with `tls` (null: plaintext), on a
// pooled connection when there is one, and writes the request head: Content-Length when the
// client gave one, else chunked when a body follows. `options.deadline` bounds the whole
// exchange; each wait for the upstream is also bounded by Timeouts::body_idle. The connection
// goes back to the pool only when the response ended cleanly after the whole request was written.
// Only `exchange` is used after the call returns: the others may be temporaries.
boost::asio::awaitable<Outcome> openH1Streaming(Worker& worker, const snapshot::Endpoint& endpoint,
                                                const tls::UpstreamContext* tls, const StreamedRequest& request,
                                                const ExchangeOptions& options,
                                                std::shared_ptr<StreamingExchange>& exchange);

}  // namespace gatehouse::dataplane::upstream
