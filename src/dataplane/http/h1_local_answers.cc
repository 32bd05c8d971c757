// The responses an HTTP/1.1 connection writes itself: the pipeline's local answers (404, 421,
// 500, 503, redirects), a failed exchange's error before the response head went out, and
// refusals of requests that could not be read (400, 408, 431, 501) on a connection that closes.
#include <string>

#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_connection_impl.h"
#include "dataplane/pipeline/pipeline.h"

namespace gatehouse::dataplane::h1 {

// Skips the request body when it is already entirely buffered; false when it is not (the
// connection must then close after the answer).
template <class Stream>
bool H1Connection<Stream>::skipBufferedBody(const Framing& framing) {
  switch (framing.framing) {
    case gh::BodyFraming::None:
      return true;
    case gh::BodyFraming::ContentLength:
      if (end_ - begin_ < framing.content_length) return false;
      begin_ += framing.content_length;
      return true;
    case gh::BodyFraming::Chunked: {
      gh::ChunkedDecoder decoder;
      gh::ChunkedResult result = decoder.relay(buffered());
      if (!result.done()) return false;
      begin_ += result.consumed;
      return true;
    }
    default:
      return false;
  }
}

template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::answerLocal(uint16_t status, const Framing& framing) {
  co_return co_await answerLocal(localResponse(status), framing);
}

// A failed exchange before the response head went out.
template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::answerError(ProxyError error, const Framing& framing) {
  active_->ctx.error = error;
  co_return co_await answerLocal(error.status(), framing);
}

template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::answerLocal(const gh::Response& response, const Framing& framing) {
  active_->ctx.status = response.status;
  const bool keep = framing.keep_alive && skipBufferedBody(framing) && !draining_ && !acceptor_->closed();
  if (!keep && framing.framing != gh::BodyFraming::None) linger_ = true;
  active_->out.clear();
  appendStatusLine(active_->out, response.status, gh::reasonPhrase(response.status));
  bool has_length = false;
  for (const auto& [name, value] : response.headers.fields()) {
    has_length = has_length || gh::equalsIgnoreCase(name, "content-length");
    appendField(active_->out, name, value);
  }
  if (!has_length) appendField(active_->out, "Content-Length", std::to_string(response.body.size()));
  if (!keep) {
    appendField(active_->out, "Connection", "close");
  } else if (framing.http10) {
    appendField(active_->out, "Connection", "keep-alive");
  }
  active_->out.append("\r\n");
  if (!framing.head_method) active_->out.append(response.body);
  setDeadlineIn(Wait::Body, options().timeouts.body_idle);
  error_code ec = failed(co_await writeDownstream(asio::buffer(active_->out)));
  co_return keep && !ec;
}

// An error answer on a connection that closes right after it (parser errors, timeouts).
// A request refused before the pipeline saw it still reaches the log phase (metrics and access
// logs count it), with what is known: when, over which TLS name, the head if it was parsed, and
// the status.
template <class Stream>
asio::awaitable<void> H1Connection<Stream>::refuse(uint16_t status, bool head_parsed) {
  RequestContext& ctx = active_->ctx;
  if (!head_parsed) ctx.reset();  // not the previous request's
  ctx.started = Clock::now();
  ctx.client = remote_;
  ctx.connection = counts();
  if constexpr (kTls) ctx.server_name = tls::serverName(stream_.native_handle());
  co_await sendLocal(status, /*close=*/true, false);
  logPhase(worker_, ctx, status, ProxyError::of(ErrorKind::BadRequest));
}

template <class Stream>
asio::awaitable<void> H1Connection<Stream>::sendLocal(uint16_t status, bool close, bool head_method) {
  Framing framing;
  framing.keep_alive = !close;
  framing.head_method = head_method;
  if (close) linger_ = true;
  co_await answerLocal(status, framing);
}

template asio::awaitable<bool> H1Connection<tcp::socket>::answerLocal(uint16_t, const Framing&);
template asio::awaitable<bool> H1Connection<tcp::socket>::answerLocal(const gh::Response&, const Framing&);
template asio::awaitable<bool> H1Connection<tcp::socket>::answerError(ProxyError, const Framing&);
template asio::awaitable<void> H1Connection<tcp::socket>::refuse(uint16_t, bool);
template asio::awaitable<void> H1Connection<tcp::socket>::sendLocal(uint16_t, bool, bool);
template asio::awaitable<bool> H1Connection<tls::Stream>::answerLocal(uint16_t, const Framing&);
template asio::awaitable<bool> H1Connection<tls::Stream>::answerLocal(const gh::Response&, const Framing&);
template asio::awaitable<bool> H1Connection<tls::Stream>::answerError(ProxyError, const Framing&);
template asio::awaitable<void> H1Connection<tls::Stream>::refuse(uint16_t, bool);
template asio::awaitable<void> H1Connection<tls::Stream>::sendLocal(uint16_t, bool, bool);

}  // namespace gatehouse::dataplane::h1
