// The HTTP/1.1 connection loop and request reading: TLS handshake (and the ALPN or h2c preface
// hand-over to HTTP/2), hot and cold idle waits between requests, lingering close, and the
// request head copied into the pipeline's RequestContext.
#include "dataplane/http/h1_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "dataplane/http/h1_connection_impl.h"
#include "dataplane/http/h2_connection.h"
#include "dataplane/net/address_text.h"
#include "dataplane/observe/tls_handshakes.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/policies/policy_phase.h"

namespace gatehouse::dataplane {
namespace h1 {

template <class Stream>
void H1Connection<Stream>::spawn() {
  if (!active_) active_ = ActiveCache::take(worker_.io(), headLimits());
  asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->run(); }, asio::detached);
}

// Serves requests while bytes keep coming. A plain keep-alive connection first waits for its
// next request hot: a read into its buffer, its coroutine kept. Asio queues a read after an
// exhausted one without a system call (a readiness wait costs an epoll_ctl), and nothing is
// spawned per request. After kHotIdle idle, or straight away for others, the connection parks
// (the coroutine ends) and is spawned again when the socket becomes readable.
template <class Stream>
asio::awaitable<void> H1Connection<Stream>::run() {
  auto self = this->shared_from_this();
  if constexpr (kTls) {
    if (!handshaken_) {
      setDeadlineIn(Wait::Handshake, options().timeouts.tls_handshake);
      auto [hec] = co_await stream_.async_handshake(kTuple);
      observe::countTlsHandshake(counts(), hec, timed_out_);
      if (hec) {
        co_await finish();
        co_return;
      }
      handshaken_ = true;
      if (tls::alpnProtocol(stream_.native_handle()) == "h2") {
        startH2Connection(worker_, acceptor_, std::move(stream_));
        co_await finish();  // of this codec only: the stream has moved
        co_return;
      }
    }
  }
  for (;;) {
    if (begin_ == end_) {
      // Idle between requests: no buffer, no pinned generation.
      releaseBuffers();
      active_->ctx.generation.reset();
      if (draining_ || acceptor_->closed()) break;
      // TLS: bytes OpenSSL has read ahead are invisible to a readiness wait.
      bool pending = false;
      if constexpr (kTls) pending = stream_.hasPending();
      if (!readable_ && !pending) {
        if (!hotAllowed()) {
          park(first_ ? options().timeouts.request_header : options().timeouts.keepalive_idle);
          co_return;
        }
        enterHot();
        auto [ec, n] = co_await downstream().async_read_some(asio::buffer(buf_.get(), capacity()), kTuple);
        if (leaveHot(ec)) {
          releaseBuffers();
          park(options().timeouts.keepalive_idle - kHotIdle);
          co_return;
        }
        if (ec) break;
        end_ = n;
      }
    }
    first_ = false;
    readable_ = false;
    if (!co_await serveOne()) break;
  }
  co_await finish();
}

template <class Stream>
bool H1Connection<Stream>::hotAllowed() const {
  if constexpr (kTls) return false;
  return !first_ && options().timeouts.keepalive_idle > kHotIdle && hotParked() < kMaxHot;
}
template <class Stream>
void H1Connection<Stream>::enterHot() {
  hot_ = true;
  ++hotParked();
  ensureBuffers();
  wait_ = Wait::None;  // the idle list times the wait
  idle_ = true;
  worker_.idle().park(*this, kHotIdle);
}
// True when the wait ended by idleExpired(): the connection goes on to park cold.
template <class Stream>
bool H1Connection<Stream>::leaveHot(error_code ec) {
  hot_ = false;
  --hotParked();
  idle_ = false;
  IdleList::unpark(*this);
  const bool cooling = std::exchange(cooling_, false);
  return cooling && ec == asio::error::operation_aborted && !draining_ && !acceptor_->closed();
}

// Idle: no coroutine frame, no buffer, no timer operation, a link in the worker's idle list and
// one readiness wait.
template <class Stream>
void H1Connection<Stream>::park(std::chrono::milliseconds timeout) {
  wait_ = Wait::None;
  ++timer_seq_;  // a wait still queued for the old timer is ignored
  timer_pending_ = false;
  ActiveCache::give(std::move(active_));
  idle_ = true;
  worker_.idle().park(*this, timeout);
  downstream().async_wait(tcp::socket::wait_read,
                          [self = this->shared_from_this()](error_code ec) { self->unpark(ec); });
}

template <class Stream>
void H1Connection<Stream>::unpark(error_code ec) {
  idle_ = false;
  IdleList::unpark(*this);
  if (ec || draining_ || acceptor_->closed()) {
    finished_ = true;
    error_code ignored;
    downstream().close(ignored);
    return;
  }
  readable_ = true;
  spawn();
}

template <class Stream>
asio::awaitable<void> H1Connection<Stream>::finish() {
  finished_ = true;
  wait_ = Wait::None;
  closeUpstream();
  error_code ignored;
  if constexpr (kTls) stream_.shutdown();  // close_notify, when the socket takes it now
  if (linger_) {
    // The client may still be sending (a body we did not read, pipelined requests): closing
    // now would reset the connection and could destroy the response in flight. Half-close and
    // read and discard what is still coming first, as nginx's lingering close does: up to
    // kLingerBytes or 500 ms, whichever ends first.
    downstream().shutdown(tcp::socket::shutdown_send, ignored);
    finished_ = false;
    setDeadlineIn(Wait::Closing, std::chrono::milliseconds(500));
    constexpr size_t kLingerBytes = 1024 * 1024;
    char sink[4096];
    for (size_t discarded = 0; discarded < kLingerBytes;) {
      auto [ec, n] = co_await downstream().async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      discarded += n;
    }
    finished_ = true;
    wait_ = Wait::None;
  }
  downstream().shutdown(tcp::socket::shutdown_both, ignored);
  downstream().close(ignored);
  active_->timer.cancel();
  releaseBuffers();
  active_->ctx.generation.reset();
}

// Reads, routes and answers one request. False: close the connection.
template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::serveOne() {
  ensureBuffers();
  timed_out_ = false;
  gh::RequestHeadParser& parser = active_->request_parser;
  parser.reset();
  setDeadlineIn(Wait::Header, options().timeouts.request_header);
  size_t consumed = 0;
  for (;;) {
    // HTTP/2 with prior knowledge (h2c) on a plain listener: the connection becomes an HTTP/2 one.
    const gh::PrefaceMatch preface = kTls ? gh::PrefaceMatch::No : gh::matchH2Preface(buffered());
    if constexpr (!kTls) {
      if (preface == gh::PrefaceMatch::Full) {
        startH2Connection(worker_, acceptor_, std::move(stream_), buffered());
        begin_ = end_ = 0;
        co_return false;
      }
    }
    gh::ParseResult result = preface == gh::PrefaceMatch::Partial ? gh::ParseResult{} : parser.parse(buffered());
    if (result.complete()) {
      consumed = result.consumed;
      break;
    }
    if (result.error()) {
      co_await refuse(result.error_status);
      co_return false;
    }
    if (end_ == capacity()) {
      if (begin_ == 0) {
        co_await refuse(431);
        co_return false;
      }
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    auto [ec, n] = co_await readDownstream(buf_.get() + end_, capacity() - end_);
    if (ec) {
      if (timed_out_ && expired_ == Wait::Header && begin_ != end_) {
        timed_out_ = false;
        co_await refuse(408);
      }
      co_return false;
    }
    end_ += n;
  }

  // ---- the request, copied out of the read buffer ----
  const gh::RequestHead& head = parser.head();
  // The Active block's request is reused: assign() keeps each string's storage.
  RequestContext& ctx = active_->ctx;
  ctx.reset();
  gh::Request& request = ctx.request;
  Framing framing;
  framing.framing = head.framing;
  framing.content_length = head.content_length.value_or(0);
  framing.keep_alive = head.keep_alive;
  framing.expect_continue = head.expect_continue;
  framing.head_method = head.method == "HEAD";
  framing.http10 = head.version_minor == 0;
  request.method.assign(head.method);
  request.scheme.assign(kTls ? "https" : "http");
  request.listener_port = acceptor_->port();
  switch (head.target_form) {
    case gh::TargetForm::Origin:
      request.path.assign(head.target);
      request.authority.assign(head.host);
      break;
    case gh::TargetForm::Absolute:
      request.path.assign(head.path);
      if (!head.query.empty()) {
        request.path += '?';
        request.path += head.query;
      }
      request.authority.assign(head.authority);
      break;
    default:  // CONNECT host:port and OPTIONS *: nothing to route
      begin_ += consumed;
      co_await refuse(501, /*head_parsed=*/true);
      co_return false;
  }
  std::optional<std::string_view> connection_field = head.headers.find("connection");
  std::optional<std::string_view> upgrade_field = head.headers.find("upgrade");
  framing.websocket = head.upgrade && upgrade_field && gh::listContainsToken(*upgrade_field, "websocket");
  size_t forwarded_for = SIZE_MAX;  // index: the vector may grow
  auto& fields = request.headers.fields();
  size_t kept = 0;
  auto keep = [&](std::string_view name, std::string_view value) {
    if (kept < fields.size()) {
      fields[kept].first.assign(name);
      fields[kept].second.assign(value);
    } else {
      fields.emplace_back(std::string(name), std::string(value));
    }
    ++kept;
  };
  bool has_forwarded_proto = false;
  for (const gh::Header& field : head.headers) {
    if (isHopByHop(field.name) || gh::equalsIgnoreCase(field.name, "host") ||
        gh::equalsIgnoreCase(field.name, "content-length") ||
        (framing.expect_continue && gh::equalsIgnoreCase(field.name, "expect")) ||
        (connection_field && gh::listContainsToken(*connection_field, field.name))) {
      if (field.name.size() == 2 && gh::equalsIgnoreCase(field.name, "te")) {
        framing.te_trailers = gh::listContainsToken(field.value, "trailers");
      }
      continue;
    }
    if (field.name.size() == 15 && forwarded_for == SIZE_MAX && gh::equalsIgnoreCase(field.name, "x-forwarded-for")) {
      forwarded_for = kept;
    } else if (field.name.size() == 17 && gh::equalsIgnoreCase(field.name, "x-forwarded-proto")) {
      has_forwarded_proto = true;
    }
    keep(field.name, field.value);
  }
  char ip_text[64];
  const std::string_view client_ip = net::addressText(remote_.address(), ip_text);
  if (forwarded_for != SIZE_MAX) {
    std::string& value = fields[forwarded_for].second;
    value.append(", ");
    value.append(client_ip);
  } else {
    keep("X-Forwarded-For", client_ip);
  }
  if (!has_forwarded_proto) keep("X-Forwarded-Proto", request.scheme);
  fields.resize(kept);
  if (has_forwarded_proto) request.headers.set("X-Forwarded-Proto", request.scheme);
  if (framing.websocket) active_->websocket_upgrade = std::string(*upgrade_field);
  begin_ += consumed;  // `head` must not be used below: the body relay reuses the buffer
  ctx.started = Clock::now();
  ctx.client = remote_;
  ctx.connection = counts();
  ctx.bytes_received = consumed;
  if constexpr (kTls) ctx.server_name = tls::serverName(stream_.native_handle());
  ctx.upgrade = framing.websocket;
  const bool keep_open = co_await serveRequest(ctx, framing);
  logPhase(worker_, ctx, ctx.status);
  co_return keep_open;
}

// The pipeline's phases up to the exchange, then the exchange: with an HTTP/1.1 upstream, or
// an h2c one. False: close the connection.
template <class Stream>
asio::awaitable<bool> H1Connection<Stream>::serveRequest(RequestContext& ctx, const Framing& framing) {
  std::optional<gh::Response> answer = runRequestPhases(worker_, acceptor_->identity(), ctx);
  if (!answer && ctx.phases_pending) answer = co_await runPendingPhases(worker_, ctx);
  if (answer) {
    if (ctx.error && ctx.error->kind == ErrorKind::InvalidPath) {
      co_await sendLocal(400, true, false);
      co_return false;
    }
    co_return co_await answerLocal(*answer, framing);
  }
  if (ctx.fault_delay) co_await policies::waitFaultDelay(worker_, ctx);
  active_->mirror.reset();
  if (!ctx.mirrors.empty()) {
    active_->mirror = filters::MirrorTap::begin(worker_.mirrors(), std::move(ctx.mirrors), ctx.request,
                                                framing.framing, framing.content_length);
  }
  if (ctx.cluster->protocol == snapshot::UpstreamProtocol::H2c) co_return co_await proxyH2c(ctx, framing);
  co_return co_await proxy(ctx, framing);
}

}  // namespace h1

void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, h1::tcp::socket socket) {
  std::make_shared<h1::H1Connection<h1::tcp::socket>>(worker, std::move(acceptor), std::move(socket), nullptr)->start();
}

void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tls::Stream stream,
                       std::shared_ptr<const tls::SocketTls> tls) {
  std::make_shared<h1::H1Connection<tls::Stream>>(worker, std::move(acceptor), std::move(stream), std::move(tls))
      ->start();
}

}  // namespace gatehouse::dataplane
