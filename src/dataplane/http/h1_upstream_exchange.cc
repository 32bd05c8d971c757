// The exchange of an HTTP/1.1 request with an HTTP/1.1 upstream: the request head and body
// relayed from the connection's read buffer on a pooled (or new) upstream connection, with the
// rule's retries (pipeline/retry.h) while a copy of the body is kept, then the response head
// (response filters applied) and body relayed back from the upstream buffer; a 101 answer to a
// WebSocket upgrade becomes a tunnel (h1_websocket_tunnel.cc). h2c upstreams: h1_h2c_exchange.cc.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_connection_impl.h"
#include "dataplane/observe/tracing.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/upstream/connector.h"

namespace gatehouse::dataplane::h1 {

template <class Stream>
void H1Connection<Stream>::buildUpstreamHead(const gh::Request& request, const Framing& framing) {
  active_->out.clear();
  active_->out.append(request.method);
  active_->out.push_back(' ');
  active_->out.append(request.path);
  active_->out.append(" HTTP/1.1\r\n");
  appendField(active_->out, "Host", request.authority);
  for (const auto& [name, value] : request.headers.fields()) appendField(active_->out, name, value);
  if (framing.framing == gh::BodyFraming::ContentLength) {
    appendField(active_->out, "Content-Length", std::to_string(framing.content_length));
  } else if (framing.framing == gh::BodyFraming::Chunked) {
    appendField(active_->out, "Transfer-Encoding", "chunked");
  }
  if (framing.websocket) {
    appendField(active_->out, "Connection", "Upgrade");
    appendField(active_->out, "Upgrade", active_->websocket_upgrade);
  }
  active_->out.append("\r\n");
}

template <class Stream>
asio::awaitable<error_code> H1Connection<Stream>::connectUpstream(const snapshot::Endpoint& endpoint) {
  auto at = Clock::now() + options().timeouts.upstream_connect;
  if (active_->ctx.deadline && *active_->ctx.deadline < at) at = *active_->ctx.deadline;
  setDeadline(Wait::Connect, at);
  co_return co_await upstream::connect(active_->upstream, endpoint, active_->ctx.upstream_tls);
}

// The error of a failure before the response head went out, from what timed out.
template <class Stream>
ProxyError H1Connection<Stream>::failure(ErrorKind otherwise) {
  if (!timed_out_) return ProxyError::of(otherwise);
  timed_out_ = false;
  if (active_->ctx.deadline && Clock::now() >= *active_->ctx.deadline) return ProxyError::of(ErrorKind::TimedOut);
  if (expired_ == Wait::Connect) return ProxyError::of(ErrorKind::ConnectFailed);
  return ProxyError::of(ErrorKind::TimedOut);
}

template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::proxy(RequestContext& ctx, const Framing& framing) {
  const gh::Request& request = ctx.request;

  // The body bytes that arrived with the head go out in the same gathered write.
  gh::ChunkedDecoder request_body;
  size_t prefix = 0;
  uint64_t remaining = 0;
  bool body_done = true;
  if (framing.framing == gh::BodyFraming::ContentLength) {
    prefix = static_cast<size_t>(std::min<uint64_t>(framing.content_length, end_ - begin_));
    remaining = framing.content_length - prefix;
    body_done = remaining == 0;
  } else if (framing.framing == gh::BodyFraming::Chunked) {
    gh::ChunkedResult result = request_body.relay(buffered());
    if (result.error()) {
      co_await sendLocal(400, true, false);
      co_return false;
    }
    prefix = result.consumed;
    body_done = result.done();
  }
  const size_t prefix_at = begin_;
  if (active_->mirror) active_->mirror->body(std::string_view(buf_.get() + prefix_at, prefix), body_done);
  ctx.bytes_received += prefix;
  // A rule that retries keeps a copy of the body as relayed (chunked framing included) while it
  // fits kMaxReplayBody, to send it again (pipeline/retry.h).
  active_->replay.clear();
  active_->keep_replay = !framing.websocket && retriesBodyOf(ctx, framing.framing == gh::BodyFraming::ContentLength
                                                                      ? framing.content_length
                                                                      : prefix);
  if (active_->keep_replay) active_->replay.assign(buf_.get() + prefix_at, prefix);

  // A pooled connection the backend closed meanwhile fails before any response byte: when the
  // whole request is still at hand, it is sent once more on a new connection.
  size_t response_head = 0;
  gh::ResponseHeadParser& response_parser = active_->response_parser;
  response_parser.reset(request.method);
  // Only idempotent requests are resent (RFC 9110 9.2.2), and only while the whole body is at hand.
  const bool replayable = body_done && gh::isIdempotent(request.method);
  bool body_sent = body_done;  // the whole body left the client (and is in active_->replay if kept)
  bool resend = false;         // a retry: the head and the kept body go out again
  for (int attempt = 0;; ++attempt) {
    // With tracing on each attempt carries its own traceparent: the head is rebuilt then.
    if (observe::beginAttempt(worker_, ctx, ctx.request.headers) || attempt == 0) buildUpstreamHead(request, framing);
    bool reused = false;
    if (attempt == 0) {
      const auto probe = replayable ? upstream::Pool::Probe::UnlessFresh : upstream::Pool::Probe::Always;
      if (auto pooled = worker_.upstreams().take(*ctx.endpoint, ctx.upstream_tls, probe)) {
        active_->upstream = std::move(*pooled);
        reused = true;
      }
    }
    std::optional<ProxyError> error;
    if (!reused) {
      if (error_code ec = co_await connectUpstream(*ctx.endpoint)) {
        error = failure(ec == upstream::handshakeFailed() ? ErrorKind::BadResponse : ErrorKind::ConnectFailed);
      }
    }
    if (!error) {
      const bool can_retry = reused && replayable;
      upstreamProgress();
      const std::string_view body = resend ? std::string_view(active_->replay)
                                           : std::string_view(buf_.get() + prefix_at, prefix);
      std::array<asio::const_buffer, 2> first{asio::buffer(active_->out), asio::buffer(body.data(), body.size())};
      error_code ec = failed(co_await writeUpstream(first));
      if (!ec && !body_sent) {
        ec = co_await relayRequestBody(framing, request_body, prefix_at + prefix, remaining);
        body_sent = !ec;
      }
      if (ec == asio::error::eof && client_gone_) {
        closeUpstream();
        co_return false;
      }
      if (!ec) {
        auto [rec, head_bytes] = co_await readResponseHead(response_parser, request.method);
        ec = rec;
        response_head = head_bytes;
      }
      if (!ec) {
        const AttemptOutcome answered{response_parser.head().status_code, std::nullopt};
        const std::optional<Clock::duration> delay =
            body_sent && active_->keep_replay ? retryDelay(worker_, ctx, answered) : std::nullopt;
        if (!delay) break;
        co_await retryAfter(*delay, answered);
        resend = true;
        response_parser.reset(request.method);
        continue;
      }
      const bool nothing_received = uend_ == 0;
      closeUpstream();
      if (client_gone_) co_return false;
      // (With the rule's retries, its policy resends instead: every attempt counted is one the
      // backend saw.)
      if (can_retry && nothing_received && !timed_out_ && attempt == 0 && !active_->keep_replay) {
        response_parser.reset(request.method);
        continue;
      }
      error = ec == asio::error::message_size ? ProxyError::of(ErrorKind::BadResponse) : failure(ErrorKind::BadResponse);
    }
    const AttemptOutcome failed_attempt{0, error};
    if (body_sent && active_->keep_replay) {
      if (const std::optional<Clock::duration> delay = retryDelay(worker_, ctx, failed_attempt)) {
        co_await retryAfter(*delay, failed_attempt);
        resend = true;
        response_parser.reset(request.method);
        continue;
      }
    }
    // A body partly relayed cannot be skipped: answer, then close.
    Framing answer = framing;
    if (!body_sent) {
      answer.keep_alive = false;
      answer.framing = gh::BodyFraming::None;
      linger_ = true;
    } else if (!body_done) {
      answer.framing = gh::BodyFraming::None;  // relayed already
    }
    co_return co_await answerError(*error, answer);
  }
  if (body_done) begin_ = prefix_at + prefix;  // else relayRequestBody moved it
  co_return co_await relayResponse(response_parser.head(), response_head, framing, ctx);
}

// Drops the failed attempt (its connection, its timeout), then waits for the next one.
template <class Stream>
asio::awaitable<void> H1Connection<Stream>::retryAfter(Clock::duration delay, const AttemptOutcome& outcome) {
  closeUpstream();
  setDeadline(Wait::None, Clock::time_point::max());
  co_await beginRetry(worker_, active_->ctx, delay, outcome);
  timed_out_ = false;
}

// Relays the rest of the request body (after the prefix already written) from the client.
template <class Stream>
asio::awaitable<error_code> H1Connection<Stream>::relayRequestBody(const Framing& framing,
                                                                   gh::ChunkedDecoder& decoder, size_t from,
                                                                   uint64_t remaining) {
  begin_ = from;
  if (framing.expect_continue && begin_ == end_) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (failed(co_await writeDownstream(asio::buffer(kContinue)))) {
      client_gone_ = true;
      co_return asio::error::eof;
    }
  }
  for (;;) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      setDeadlineIn(Wait::Body, options().timeouts.body_idle);
      auto [ec, n] = co_await readDownstream(buf_.get(), capacity());
      if (ec) {
        client_gone_ = true;
        co_return asio::error::eof;
      }
      end_ = n;
    }
    size_t take = 0;
    bool done = false;
    if (framing.framing == gh::BodyFraming::ContentLength) {
      take = static_cast<size_t>(std::min<uint64_t>(remaining, end_ - begin_));
      remaining -= take;
      done = remaining == 0;
    } else {
      gh::ChunkedResult result = decoder.relay(buffered());
      if (result.error()) {
        client_gone_ = true;  // a broken body: nothing sensible can be answered
        linger_ = true;
        co_return asio::error::eof;
      }
      take = result.consumed;
      done = result.done();
    }
    upstreamProgress();
    if (active_->mirror) active_->mirror->body(std::string_view(buf_.get() + begin_, take), done);
    if (active_->keep_replay) {
      active_->keep_replay = active_->replay.size() + take <= kMaxReplayBody;
      if (active_->keep_replay) {
        active_->replay.append(buf_.get() + begin_, take);
      } else {
        active_->replay.clear();
      }
    }
    active_->ctx.bytes_received += take;
    if (error_code ec = failed(co_await writeUpstream(asio::buffer(buf_.get() + begin_, take)))) co_return ec;
    begin_ += take;
    if (done) co_return error_code{};
  }
}

// Reads the final response head into ubuf_ (1xx interim responses are dropped); returns the
// head's size. eof: the upstream closed or reset before a complete head.
template <class Stream>
asio::awaitable<std::tuple<error_code, size_t>> H1Connection<Stream>::readResponseHead(
    gh::ResponseHeadParser& parser, std::string_view method) {
  ensureUpstreamBuffer();
  uend_ = 0;
  for (;;) {
    gh::ParseResult result = parser.parse(std::string_view(ubuf_.get(), uend_));
    if (result.error()) co_return std::tuple{asio::error::message_size, size_t{0}};
    if (result.complete()) {
      if (!parser.head().interim) co_return std::tuple{error_code{}, result.consumed};
      std::memmove(ubuf_.get(), ubuf_.get() + result.consumed, uend_ - result.consumed);
      uend_ -= result.consumed;
      parser.reset(method);
      continue;
    }
    if (uend_ == capacity()) co_return std::tuple{asio::error::message_size, size_t{0}};
    auto [ec, n] = co_await active_->upstream.async_read_some(asio::buffer(ubuf_.get() + uend_, capacity() - uend_), kTuple);
    if (ec) co_return std::tuple{ec, size_t{0}};
    uend_ += n;
    upstreamProgress();
  }
}

template <class Stream>
void H1Connection<Stream>::appendResponseHead(const gh::ResponseHead& head, const RequestContext& ctx, bool close,
                                              bool tunnel, bool http10) {
  active_->out.clear();
  appendStatusLine(active_->out, head.status_code, head.reason.empty() ? gh::reasonPhrase(head.status_code) : head.reason);
  std::optional<std::string_view> connection_field = head.headers.find("connection");
  auto forwarded = [&](std::string_view name) {
    if (isHopByHop(name)) return false;
    if (head.chunked && gh::equalsIgnoreCase(name, "content-length")) return false;
    return !(connection_field && gh::listContainsToken(*connection_field, name));
  };
  if (!changesResponse(ctx)) {
    for (const gh::Header& field : head.headers) {
      if (forwarded(field.name)) appendField(active_->out, field.name, field.value);
    }
  } else {
    gh::Response response;
    response.status = head.status_code;
    for (const gh::Header& field : head.headers) {
      if (forwarded(field.name)) response.headers.add(std::string(field.name), std::string(field.value));
    }
    applyResponsePhase(ctx, response);
    for (const auto& [name, value] : response.headers.fields()) appendField(active_->out, name, value);
  }
  if (tunnel) {
    appendField(active_->out, "Connection", "Upgrade");
    appendField(active_->out, "Upgrade", active_->websocket_upgrade);
  } else {
    if (head.chunked) appendField(active_->out, "Transfer-Encoding", "chunked");
    if (close) {
      appendField(active_->out, "Connection", "close");
    } else if (http10) {
      appendField(active_->out, "Connection", "keep-alive");
    }
  }
  active_->out.append("\r\n");
}

template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::relayResponse(const gh::ResponseHead& head, size_t head_bytes,
                                                          const Framing& framing, RequestContext& ctx) {
  const bool tunnel = framing.websocket && head.status_code == 101;
  const bool close = !framing.keep_alive || draining_ || acceptor_->closed() ||
                     head.framing == gh::BodyFraming::UntilClose || (head.becomes_tunnel && !tunnel);
  appendResponseHead(head, ctx, close, tunnel, framing.http10);
  ctx.status = head.status_code;

  const size_t available = uend_ - head_bytes;
  size_t prefix = 0;
  uint64_t remaining = 0;
  bool done = true;
  gh::ChunkedDecoder response_body;
  switch (head.framing) {
    case gh::BodyFraming::None:
      break;
    case gh::BodyFraming::ContentLength:
      prefix = static_cast<size_t>(std::min<uint64_t>(*head.content_length, available));
      remaining = *head.content_length - prefix;
      done = remaining == 0;
      break;
    case gh::BodyFraming::Chunked: {
      gh::ChunkedResult result = response_body.relay(std::string_view(ubuf_.get() + head_bytes, available));
      if (result.error()) co_return co_await answerError(ProxyError::of(ErrorKind::BadResponse), framing);
      prefix = result.consumed;
      done = result.done();
      break;
    }
    case gh::BodyFraming::UntilClose:
      prefix = available;
      done = false;
      break;
  }
  if (tunnel) prefix = available;
  bool upstream_reusable = head.keep_alive && !tunnel && prefix == available;

  upstreamProgress();
  std::array<asio::const_buffer, 2> first{asio::buffer(active_->out), asio::buffer(ubuf_.get() + head_bytes, prefix)};
  if (failed(co_await writeDownstream(first))) {
    closeUpstream();
    co_return false;
  }
  if (tunnel) {
    co_await splice();
    co_return false;
  }
  while (!done) {
    upstreamProgress();
    auto [ec, n] = co_await active_->upstream.async_read_some(asio::buffer(ubuf_.get(), capacity()), kTuple);
    if (ec) {
      closeUpstream();
      // Until-close bodies end here; anything else was cut short: the client must see it.
      co_return false;
    }
    size_t take = n;
    if (head.framing == gh::BodyFraming::ContentLength) {
      take = static_cast<size_t>(std::min<uint64_t>(remaining, n));
      remaining -= take;
      done = remaining == 0;
    } else if (head.framing == gh::BodyFraming::Chunked) {
      gh::ChunkedResult result = response_body.relay(std::string_view(ubuf_.get(), n));
      if (result.error()) {
        closeUpstream();
        co_return false;
      }
      take = result.consumed;
      done = result.done();
    }
    if (take != n) upstream_reusable = false;  // bytes after the response: not trustworthy
    if (failed(co_await writeDownstream(asio::buffer(ubuf_.get(), take)))) {
      closeUpstream();
      co_return false;
    }
  }
  ctx.deadline.reset();
  if (upstream_reusable && active_->upstream.is_open()) {
    worker_.upstreams().put(*ctx.endpoint, ctx.upstream_tls, std::move(active_->upstream));
    active_->upstream = upstream::Connection(worker_.io());
  } else {
    closeUpstream();
  }
  co_return !close;
}

template asio::awaitable<bool> H1Connection<tcp::socket>::proxy(RequestContext&, const Framing&);
template asio::awaitable<void> H1Connection<tcp::socket>::retryAfter(Clock::duration, const AttemptOutcome&);
template asio::awaitable<bool> H1Connection<tls::Stream>::proxy(RequestContext&, const Framing&);
template asio::awaitable<void> H1Connection<tls::Stream>::retryAfter(Clock::duration, const AttemptOutcome&);

}  // namespace gatehouse::dataplane::h1
