// The exchange of an HTTP/1.1 request with an h2c upstream (Service appProtocol
// kubernetes.io/h2c, or h2 over TLS under a BackendTLSPolicy), streamed both ways through an
// upstream::StreamingExchange (upstream/streaming.h):
// - the request body decoded from the connection's read buffer into the stream one read at a
//   time; the next read waits until the stream took the last one, so the upstream's window paces
//   the client. Chunked trailers go out as the stream's trailing HEADERS;
// - the response head through the response phase, then its body as it comes: Content-Length when
//   the upstream gave one, else chunked (close-delimited for HTTP/1.0), the h2 trailers as a
//   trailer section for a client that sent "TE: trailers". A response cut short closes the
//   connection: the client sees it truncated, never completed.
// As with HTTP/1.1 upstreams, the body is relayed before the response is read: an upstream that
// answers early is heard once its stream stops taking the body (or the client's body ends).
// Retries as there too (pipeline/retry.h): before any response byte went out, with the body kept
// (decoded) while it fits kMaxReplayBody. Memory per request: a read buffer of body on its way up,
// kResponsePiece on its way down, plus the stream's window (h2c_client.h).
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_connection_impl.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/upstream/streaming.h"

namespace gatehouse::dataplane::h1 {

struct H2cRequestBody {
  gh::ChunkedDecoder decoder;
  std::string trailer_section;  // chunked: the trailer field lines as the client sent them
  gh::Headers trailers;         // parsed from it once the body ended
  uint64_t remaining = 0;       // Content-Length: bytes still to come
  std::string piece;            // the decoded bytes of one read, for writeBody()
  bool started = false;         // bytes of it were taken from the client
  bool read = false;            // all of it was
};

namespace {

// The most response body taken from the stream per write to the client (the stream's window,
// 256 KiB, bounds what waits upstream).
constexpr size_t kResponsePiece = 64 * 1024;

// The fields of a trailer section the decoder validated ("name: value" lines, then CRLF); those
// that never cross a proxy are dropped.
gh::Headers parseTrailerSection(std::string_view raw) {
  gh::Headers fields;
  for (size_t eol = raw.find("\r\n"); eol != std::string_view::npos && eol > 0; eol = raw.find("\r\n")) {
    const std::string_view line = raw.substr(0, eol);
    raw.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!upstream::isConnectionSpecific(name)) fields.add(std::string(name), std::string(value));
  }
  return fields;
}

void appendChunkSize(std::string& out, size_t size) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, size, 16).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
  out.append("\r\n");
}

}  // namespace

template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::proxyH2c(RequestContext& ctx, const Framing& framing) {
  gh::Request& request = ctx.request;
  upstream::StreamedRequest out;
  // Method, authority and path stay in the context for the log phase; the headers too when a
  // response filter reads the request (CORS).
  out.head.method = request.method;
  out.head.authority = request.authority;
  out.head.path = request.path;
  out.head.headers = hasResponseFilters(ctx) ? request.headers : std::move(request.headers);
  if (framing.te_trailers) out.head.headers.add("te", "trailers");
  out.body_follows = framing.framing != gh::BodyFraming::None;
  if (framing.framing == gh::BodyFraming::ContentLength) out.content_length = framing.content_length;

  H2cRequestBody body;
  body.decoder.keepTrailers(&body.trailer_section);
  body.remaining = framing.content_length;
  body.read = !out.body_follows;
  if (!out.body_follows && active_->mirror) active_->mirror->body({}, true);
  active_->replay.clear();
  active_->keep_replay = retriesBodyOf(
      ctx, framing.framing == gh::BodyFraming::ContentLength ? framing.content_length : 0);

  std::shared_ptr<upstream::StreamingExchange> exchange;
  upstream::StreamedResponseHead head;
  for (;;) {
    wait_ = Wait::None;  // the exchange keeps its own deadlines (ctx.deadline, body_idle per wait)
    std::optional<ProxyError> error = co_await openStreamingExchange(worker_, ctx, out, exchange);
    if (!error) {
      if (!body.started && out.body_follows) {
        const H2cBodyRelay relayed = co_await relayBodyToH2c(framing, body, *exchange);
        if (relayed == H2cBodyRelay::ClientGone) {
          exchange->cancel();
          co_return false;
        }
        if (relayed == H2cBodyRelay::Broken) {
          exchange->cancel();
          co_await sendLocal(400, true, false);
          co_return false;
        }
        // Stopped: the stream failed, or the upstream answered before the whole body (readHead).
      } else if (out.body_follows) {  // a retry: the kept body again
        if (active_->replay.empty() || co_await exchange->writeBody(active_->replay)) {
          co_await exchange->endBody(body.trailers);
        }
      }
      body.started = true;
      wait_ = Wait::None;
      error = co_await exchange->readHead(head);
      if (!error) {
        const AttemptOutcome answered{head.status, std::nullopt};
        const std::optional<Clock::duration> delay =
            body.read && active_->keep_replay ? retryDelay(worker_, ctx, answered) : std::nullopt;
        if (!delay) break;
        exchange->cancel();
        exchange.reset();
        head = {};
        co_await retryAfter(*delay, answered);
        continue;
      }
      exchange->cancel();
      exchange.reset();
    }
    // Nothing of the body taken yet (the stream did not open), or all of it kept: it can be sent
    // again.
    const AttemptOutcome failed_attempt{0, error};
    if (!body.started || (body.read && active_->keep_replay)) {
      if (const std::optional<Clock::duration> delay = retryDelay(worker_, ctx, failed_attempt)) {
        head = {};
        co_await retryAfter(*delay, failed_attempt);
        continue;
      }
    }
    Framing answer = framing;
    if (body.started && !body.read) {  // a body partly relayed cannot be skipped: answer, then close
      answer.keep_alive = false;
      answer.framing = gh::BodyFraming::None;
      linger_ = true;
    } else if (body.started) {
      answer.framing = gh::BodyFraming::None;  // relayed already
    }
    co_return co_await answerError(*error, answer);
  }
  co_return co_await relayH2cResponse(ctx, framing, exchange, head, body.read);
}

// Client -> stream: the body decoded one read at a time, kept for a retry while it fits
// kMaxReplayBody, then its end with the chunked trailers.
template <class Stream>
asio::awaitable<H2cBodyRelay> H1Connection<Stream>::relayBodyToH2c(const Framing& framing, H2cRequestBody& body,
                                                                  upstream::StreamingExchange& exchange) {
  RequestContext& ctx = active_->ctx;
  body.started = true;
  bool send_continue = framing.expect_continue && begin_ == end_;
  for (;;) {
    // What the buffer holds of the body.
    size_t raw = 0;
    bool done = false;
    body.piece.clear();
    if (framing.framing == gh::BodyFraming::ContentLength) {
      raw = static_cast<size_t>(std::min<uint64_t>(body.remaining, end_ - begin_));
      body.piece.assign(buf_.get() + begin_, raw);
      body.remaining -= raw;
      done = body.remaining == 0;
    } else {
      while (begin_ + raw < end_ && !body.decoder.done()) {
        const gh::ChunkedResult result =
            body.decoder.decode(std::string_view(buf_.get() + begin_ + raw, end_ - begin_ - raw));
        if (result.error()) {
          linger_ = true;
          co_return H2cBodyRelay::Broken;
        }
        body.piece.append(result.data);
        raw += result.consumed;
      }
      done = body.decoder.done();
    }
    if (active_->mirror && (raw > 0 || done)) active_->mirror->body(std::string_view(buf_.get() + begin_, raw), done);
    ctx.bytes_received += raw;
    begin_ += raw;
    if (active_->keep_replay) {
      active_->keep_replay = active_->replay.size() + body.piece.size() <= kMaxReplayBody;
      if (active_->keep_replay) {
        active_->replay.append(body.piece);
      } else {
        active_->replay.clear();
      }
    }
    wait_ = Wait::None;
    if (!body.piece.empty()) {
      const bool taken = co_await exchange.writeBody(body.piece);
      if (!taken) co_return H2cBodyRelay::Stopped;
    }
    if (done) {
      body.read = true;
      if (framing.framing == gh::BodyFraming::Chunked) body.trailers = parseTrailerSection(body.trailer_section);
      // False when the stream ended meanwhile: readHead() tells how.
      if (active_->keep_replay) {
        co_await exchange.endBody(body.trailers);
      } else {
        co_await exchange.endBody(std::move(body.trailers));
      }
      co_return H2cBodyRelay::Done;
    }
    // The whole buffer was body: read more.
    if (send_continue) {
      send_continue = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      setDeadlineIn(Wait::Body, options().timeouts.body_idle);
      if (failed(co_await writeDownstream(asio::buffer(kContinue)))) co_return H2cBodyRelay::ClientGone;
    }
    begin_ = end_ = 0;
    setDeadlineIn(Wait::Body, options().timeouts.body_idle);
    auto [ec, n] = co_await readDownstream(buf_.get(), capacity());
    if (ec) co_return H2cBodyRelay::ClientGone;
    end_ = static_cast<uint32_t>(n);
  }
}

// Stream -> client: the head through the response phase, then the body as it comes, at most
// kResponsePiece per write. False: close the connection.
template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::relayH2cResponse(RequestContext& ctx, const Framing& framing,
                                                             const std::shared_ptr<upstream::StreamingExchange>& stream,
                                                             upstream::StreamedResponseHead& head,
                                                             bool request_read) {
  upstream::StreamingExchange& exchange = *stream;
  gh::Response reply;
  reply.status = head.status;
  reply.headers = std::move(head.headers);
  applyResponsePhase(ctx, reply);
  ctx.status = reply.status;
  const bool bodyless = framing.head_method || reply.status == 204 || reply.status == 304;
  // A HEAD or 304 answer's length (the upstream's) describes the representation, not this body.
  std::optional<uint64_t> length = reply.status == 204 ? std::nullopt : head.content_length;
  if (!length && head.ended && !bodyless) length = 0;
  const bool chunked = !bodyless && !length && !framing.http10;
  const bool until_close = !bodyless && !length && framing.http10;
  // An answer before the whole request body: the rest of it is not read.
  const bool keep = framing.keep_alive && request_read && !until_close && !draining_ && !acceptor_->closed();
  if (!request_read) linger_ = true;

  active_->out.clear();
  appendStatusLine(active_->out, reply.status, gh::reasonPhrase(reply.status));
  for (const auto& [name, value] : reply.headers.fields()) appendField(active_->out, name, value);
  if (length) appendField(active_->out, "Content-Length", std::to_string(*length));
  if (chunked) appendField(active_->out, "Transfer-Encoding", "chunked");
  if (!keep) {
    appendField(active_->out, "Connection", "close");
  } else if (framing.http10) {
    appendField(active_->out, "Connection", "keep-alive");
  }
  active_->out.append("\r\n");
  upstreamProgress();
  if (failed(co_await writeDownstream(asio::buffer(active_->out)))) {
    exchange.cancel();
    co_return false;
  }
  if (bodyless || head.ended) {
    if (!head.ended) exchange.cancel();  // a stray body of a bodyless answer is not read
    ctx.deadline.reset();
    co_return keep;
  }

  // The whole request was read: what the client sends now is its next request, or its FIN.
  struct Watch {
    tcp::socket& socket;
    bool armed;
    ~Watch() {
      error_code ignored;
      if (armed) socket.cancel(ignored);
    }
  } watch{downstream(), request_read};
  if (request_read) watchClientLeaving(stream);

  uint64_t remaining = length.value_or(0);
  std::string piece;
  std::string chunk_head;
  std::string tail;
  gh::Headers trailers;
  bool done = false;
  while (!done) {
    piece.clear();
    wait_ = Wait::None;
    if (const Outcome outcome = co_await exchange.readBody(piece, kResponsePiece, done, trailers); outcome) {
      // Reset or lost mid-body: the client sees the connection close before the end.
      if (!client_gone_) ctx.error = *outcome;
      exchange.cancel();
      co_return false;
    }
    bool broken = false;
    if (length) {
      if (piece.size() > remaining) {
        piece.resize(static_cast<size_t>(remaining));
        broken = true;
      }
      remaining -= piece.size();
      broken = broken || (done && remaining != 0);
    }
    chunk_head.clear();
    tail.clear();
    if (chunked) {
      if (!piece.empty()) {
        appendChunkSize(chunk_head, piece.size());
        tail.append("\r\n");
      }
      if (done) {
        tail.append("0\r\n");
        if (framing.te_trailers) {
          for (const auto& [name, value] : trailers.fields()) appendField(tail, name, value);
        }
        tail.append("\r\n");
      }
    }
    if (!chunk_head.empty() || !piece.empty() || !tail.empty()) {
      const std::array<asio::const_buffer, 3> buffers{asio::buffer(chunk_head), asio::buffer(piece),
                                                      asio::buffer(tail)};
      upstreamProgress();
      if (failed(co_await writeDownstream(buffers))) {
        exchange.cancel();
        co_return false;
      }
    }
    if (broken) {
      ctx.error = ProxyError::of(ErrorKind::BadResponse);
      exchange.cancel();
      co_return false;
    }
  }
  ctx.deadline.reset();
  co_return keep;
}

// A client that leaves while the upstream is silent (long polling, server-sent events) resets
// the stream at once, not at the next write: a readiness wait whose FIN cancels the exchange.
// Bytes instead (a pipelined request, a TLS record) end the watch; the response goes on.
template <class Stream>
void H1Connection<Stream>::watchClientLeaving(std::weak_ptr<upstream::StreamingExchange> exchange) {
  downstream().async_wait(tcp::socket::wait_read, [self = this->shared_from_this(),
                                                   exchange = std::move(exchange)](error_code ec) {
    if (ec) return;
    char byte;
    const ssize_t n = ::recv(self->downstream().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) return;
    self->client_gone_ = true;
    if (std::shared_ptr<upstream::StreamingExchange> stream = exchange.lock()) stream->cancel();
  });
}

template asio::awaitable<bool> H1Connection<tcp::socket>::proxyH2c(RequestContext&, const Framing&);
template asio::awaitable<bool> H1Connection<tls::Stream>::proxyH2c(RequestContext&, const Framing&);

}  // namespace gatehouse::dataplane::h1
