#include "dataplane/http/h1_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dataplane/event/worker.h"
#include "dataplane/filters/mirror.h"
#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"
#include "dataplane/http/h2_connection.h"
#include "dataplane/http/message.h"
#include "dataplane/http/path.h"
#include "dataplane/http/router.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/observe/tls_handshakes.h"
#include "dataplane/observe/tracing.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/policies/policy_phase.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/upstream/connector.h"
#include "dataplane/upstream/h2c_client.h"

namespace gatehouse::dataplane {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
namespace gh = gatehouse::http;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Hop-by-hop fields (RFC 9110 7.6.1) plus the framing fields the proxy re-creates itself.
bool isHopByHop(std::string_view name) {
  switch (name.size()) {
    case 2: return gh::equalsIgnoreCase(name, "te");
    case 7: return gh::equalsIgnoreCase(name, "trailer") || gh::equalsIgnoreCase(name, "upgrade");
    case 10: return gh::equalsIgnoreCase(name, "connection") || gh::equalsIgnoreCase(name, "keep-alive");
    case 16: return gh::equalsIgnoreCase(name, "proxy-connection");
    case 17: return gh::equalsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

void appendStatusLine(std::string& out, uint16_t status, std::string_view reason) {
  char digits[4] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                    static_cast<char>('0' + status % 10), ' '};
  out.append("HTTP/1.1 ");
  out.append(digits, 4);
  out.append(reason);
  out.append("\r\n");
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// The textual form of `address` in `out` (64 bytes): IPv4 without snprintf (it is formatted on
// every request for X-Forwarded-For; asio's to_string() goes through inet_ntop and stdio).
std::string_view formatAddress(const asio::ip::address& address, char (&out)[64]) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    char* p = out;
    for (size_t i = 0; i < 4; ++i) {
      unsigned v = bytes[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 3) *p++ = '.';
    }
    return std::string_view(out, static_cast<size_t>(p - out));
  }
  const std::string text = address.to_string();
  const size_t n = std::min(text.size(), sizeof(out));
  std::memcpy(out, text.data(), n);
  return std::string_view(out, n);
}

// The request facts that outlive the head's bytes (the head views the read buffer, which the
// body relay reuses).
struct Framing {
  gh::BodyFraming framing = gh::BodyFraming::None;
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;
  bool websocket = false;
  bool head_method = false;
  bool http10 = false;  // an HTTP/1.0 client wants "Connection: keep-alive" to keep the connection
};

enum class Wait : uint8_t { None, Handshake, Header, Connect, Upstream, Body, Tunnel, Closing };

// What only an active connection needs; given back while the connection is parked idle. Blocks
// are recycled per worker thread (ActiveCache): the parsers, the request and the head string keep
// their storage from one request to the next, so a keep-alive request allocates nothing here.
struct Active {
  Active(asio::io_context& context, const gh::HeadLimits& limits)
      : io(context), timer(context), upstream(context), request_parser(limits), response_parser("GET") {}
  asio::io_context& io;
  asio::steady_timer timer;
  upstream::Connection upstream;
  std::string out;  // the head being written (request head upstream, response head downstream)
  std::string websocket_upgrade;
  std::unique_ptr<filters::MirrorTap> mirror;  // copies of the current request, sent once its body passed
  std::string replay;        // the request body as relayed, for a retry (pipeline/retry.h)
  bool keep_replay = false;  // `replay` holds the whole body relayed so far
  gh::RequestHeadParser request_parser;
  gh::ResponseHeadParser response_parser;
  RequestContext ctx;  // pins the generation from routing until the response ends
};

// Free list of Active blocks of the worker running on this thread (one io_context per thread).
// A block is only cached by the thread running its io_context, so it never outlives it.
class ActiveCache {
 public:
  static constexpr size_t kMax = 256;
  static std::unique_ptr<Active> take(asio::io_context& io, const gh::HeadLimits& limits) {
    auto& spare = instance().spare_;
    if (!spare.empty() && &spare.back()->io == &io) {
      auto active = std::move(spare.back());
      spare.pop_back();
      return active;
    }
    return std::make_unique<Active>(io, limits);
  }
  static void give(std::unique_ptr<Active> active) {
    if (!active) return;
    auto& spare = instance().spare_;
    if (!active->io.get_executor().running_in_this_thread() || spare.size() >= kMax) return;
    active->timer.cancel();
    active->mirror.reset();
    active->ctx.reset();
    if (active->upstream.is_open()) {
      error_code ignored;
      active->upstream.close(ignored);
    }
    spare.push_back(std::move(active));
  }

 private:
  static ActiveCache& instance() {
    thread_local ActiveCache cache;
    return cache;
  }
  std::vector<std::unique_ptr<Active>> spare_;
};

}  // namespace

template <class Stream>
class H1Connection final : public net::ConnectionBase, public std::enable_shared_from_this<H1Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, tls::Stream>;
  // How long an idle keep-alive connection waits hot (run()), and for how many connections of a
  // worker at most: 1 MiB of buffers, so that many idle connections cost what they did without it.
  static constexpr std::chrono::milliseconds kHotIdle{1000};
  static constexpr size_t kMaxHot = 64;
  static size_t& hotParked() {  // of the worker running on this thread
    thread_local size_t parked = 0;
    return parked;
  }

 public:
  H1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, Stream stream,
               std::shared_ptr<const tls::SocketTls> tls)
      : worker_(worker),
        acceptor_(std::move(acceptor)),
        stream_(std::move(stream)),
        tls_(std::move(tls)),
        active_(ActiveCache::take(worker.io(), headLimits())) {}
  ~H1Connection() override { ActiveCache::give(std::move(active_)); }

  void start() {
    acceptor_->track(*this);
    error_code ec;
    remote_ = downstream().remote_endpoint(ec);
    spawn();
  }

  void drain() override {
    draining_ = true;
    if (idle_) cancelSockets();
  }

  void idleExpired() override {
    if (hot_ && !draining_) {
      cooling_ = true;  // the read ends as aborted and the connection parks cold
      error_code ignored;
      downstream().cancel(ignored);
      return;
    }
    cancelSockets();
  }

 private:
  // ---- plumbing ------------------------------------------------------------------------------
  tcp::socket& downstream() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  const Options& options() const { return worker_.options(); }

  void cancelSockets() {
    error_code ignored;
    downstream().cancel(ignored);
    if (active_ && active_->upstream.is_open()) active_->upstream.cancel(ignored);
  }

  // One timer per connection. Moving a deadline later only writes two fields; the timer, when it
  // fires early, re-arms itself for the current deadline. Moving it earlier re-arms at once.
  void setDeadline(Wait kind, Clock::time_point at) {
    wait_ = kind;
    deadline_ = at;
    if (!timer_pending_ || at < timer_at_) armTimer();
  }
  void setDeadlineIn(Wait kind, std::chrono::milliseconds in) { setDeadline(kind, Clock::now() + in); }
  // While proxying: the rule's request/backend deadline when it has one, else body progress.
  void upstreamProgress() {
    auto at = Clock::now() + options().timeouts.body_idle;
    if (active_->ctx.deadline && *active_->ctx.deadline < at) at = *active_->ctx.deadline;
    setDeadline(Wait::Upstream, at);
  }
  void armTimer() {
    timer_at_ = deadline_;
    timer_pending_ = true;
    active_->timer.expires_at(deadline_);
    const uint32_t seq = ++timer_seq_;
    active_->timer.async_wait([self = this->shared_from_this(), seq](error_code ec) { self->onTimer(ec, seq); });
  }
  void onTimer(error_code ec, uint32_t seq) {
    if (seq != timer_seq_) return;  // superseded by a later armTimer()
    timer_pending_ = false;
    if (ec || finished_ || wait_ == Wait::None || !active_) return;
    if (Clock::now() < deadline_) {
      armTimer();
      return;
    }
    timed_out_ = true;
    expired_ = wait_;
    cancelSockets();
  }

  void ensureBuffers() {
    if (!buf_) buf_ = worker_.takeBuffer();
  }
  void ensureUpstreamBuffer() {
    if (!ubuf_) ubuf_ = worker_.takeBuffer();
  }
  void releaseBuffers() {
    if (buf_) worker_.giveBuffer(std::move(buf_));
    if (ubuf_) worker_.giveBuffer(std::move(ubuf_));
    begin_ = end_ = 0;
  }
  size_t capacity() const { return options().limits.read_buffer_bytes; }
  gh::HeadLimits headLimits() const {
    gh::HeadLimits limits;
    limits.max_head_bytes = capacity();
    return limits;
  }
  std::string_view buffered() const { return std::string_view(buf_.get() + begin_, end_ - begin_); }

  asio::awaitable<std::tuple<error_code, size_t>> readDownstream(char* to, size_t n) {
    return stream_.async_read_some(asio::buffer(to, n), kTuple);
  }

  // Not coroutines themselves (one frame less per write): co_await failed(write...()).
  template <typename Buffers>
  asio::awaitable<std::tuple<error_code, size_t>> writeDownstream(const Buffers& buffers) {
    active_->ctx.bytes_sent += asio::buffer_size(buffers);  // for the log phase
    return asio::async_write(stream_, buffers, kTuple);
  }
  template <typename Buffers>
  asio::awaitable<std::tuple<error_code, size_t>> writeUpstream(const Buffers& buffers) {
    return asio::async_write(active_->upstream, buffers, kTuple);
  }
  static error_code failed(const std::tuple<error_code, size_t>& result) { return std::get<0>(result); }

  void closeUpstream() {
    error_code ignored;
    if (active_->upstream.is_open()) active_->upstream.close(ignored);
  }

  // ---- connection loop -----------------------------------------------------------------------
  void spawn() {
    if (!active_) active_ = ActiveCache::take(worker_.io(), headLimits());
    asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->run(); }, asio::detached);
  }

  // Serves requests while bytes keep coming. A plain keep-alive connection first waits for its
  // next request hot: a read into its buffer, its coroutine kept. Asio queues a read after an
  // exhausted one without a system call (a readiness wait costs an epoll_ctl), and nothing is
  // spawned per request. After kHotIdle idle, or straight away for others, the connection parks
  // (the coroutine ends) and is spawned again when the socket becomes readable.
  asio::awaitable<void> run() {
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

  bool hotAllowed() const {
    if constexpr (kTls) return false;
    return !first_ && options().timeouts.keepalive_idle > kHotIdle && hotParked() < kMaxHot;
  }
  void enterHot() {
    hot_ = true;
    ++hotParked();
    ensureBuffers();
    wait_ = Wait::None;  // the idle list times the wait
    idle_ = true;
    worker_.idle().park(*this, kHotIdle);
  }
  // True when the wait ended by idleExpired(): the connection goes on to park cold.
  bool leaveHot(error_code ec) {
    hot_ = false;
    --hotParked();
    idle_ = false;
    IdleList::unpark(*this);
    const bool cooling = std::exchange(cooling_, false);
    return cooling && ec == asio::error::operation_aborted && !draining_ && !acceptor_->closed();
  }

  // Idle: no coroutine frame, no buffer, no timer operation, a link in the worker's idle list and
  // one readiness wait.
  void park(std::chrono::milliseconds timeout) {
    wait_ = Wait::None;
    ++timer_seq_;  // a wait still queued for the old timer is ignored
    timer_pending_ = false;
    ActiveCache::give(std::move(active_));
    idle_ = true;
    worker_.idle().park(*this, timeout);
    downstream().async_wait(tcp::socket::wait_read,
                            [self = this->shared_from_this()](error_code ec) { self->unpark(ec); });
  }

  void unpark(error_code ec) {
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

  asio::awaitable<void> finish() {
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
  asio::awaitable<bool> serveOne() {
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
    const std::string_view client_ip = formatAddress(remote_.address(), ip_text);
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

  // The pipeline's phases up to the exchange, then the exchange: streamed over HTTP/1.1, or
  // buffered for an h2c cluster. False: close the connection.
  asio::awaitable<bool> serveRequest(RequestContext& ctx, const Framing& framing) {
    if (std::optional<gh::Response> answer = runRequestPhases(worker_, acceptor_->identity(), ctx)) {
      if (ctx.error && ctx.error->kind == ErrorKind::InvalidPath) {
        co_await sendLocal(400, true, false);
        co_return false;
      }
      co_return co_await answerLocal(*answer, framing);
    }
    co_await policies::waitFaultDelay(worker_, ctx);
    active_->mirror.reset();
    if (!ctx.mirrors.empty()) {
      active_->mirror = filters::MirrorTap::begin(worker_.mirrors(), std::move(ctx.mirrors), ctx.request,
                                                  framing.framing, framing.content_length);
    }
    if (ctx.cluster->protocol == snapshot::UpstreamProtocol::H2c) co_return co_await proxyH2c(ctx, framing);
    co_return co_await proxy(ctx, framing);
  }

  // ---- local answers -------------------------------------------------------------------------

  // Skips the request body when it is already entirely buffered; false when it is not (the
  // connection must then close after the answer).
  bool skipBufferedBody(const Framing& framing) {
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

  asio::awaitable<bool> answerLocal(uint16_t status, const Framing& framing) {
    co_return co_await answerLocal(localResponse(status), framing);
  }

  // A failed exchange before the response head went out.
  asio::awaitable<bool> answerError(ProxyError error, const Framing& framing) {
    active_->ctx.error = error;
    co_return co_await answerLocal(error.status(), framing);
  }

  asio::awaitable<bool> answerLocal(const gh::Response& response, const Framing& framing) {
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
  asio::awaitable<void> refuse(uint16_t status, bool head_parsed = false) {
    RequestContext& ctx = active_->ctx;
    if (!head_parsed) ctx.reset();  // not the previous request's
    ctx.started = Clock::now();
    ctx.client = remote_;
    ctx.connection = counts();
    if constexpr (kTls) ctx.server_name = tls::serverName(stream_.native_handle());
    co_await sendLocal(status, /*close=*/true, false);
    logPhase(worker_, ctx, status, ProxyError::of(ErrorKind::BadRequest));
  }

  asio::awaitable<void> sendLocal(uint16_t status, bool close, bool head_method) {
    Framing framing;
    framing.keep_alive = !close;
    framing.head_method = head_method;
    if (close) linger_ = true;
    co_await answerLocal(status, framing);
  }

  // ---- proxying ------------------------------------------------------------------------------

  void buildUpstreamHead(const gh::Request& request, const Framing& framing) {
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

  asio::awaitable<error_code> connectUpstream(const snapshot::Endpoint& endpoint) {
    auto at = Clock::now() + options().timeouts.upstream_connect;
    if (active_->ctx.deadline && *active_->ctx.deadline < at) at = *active_->ctx.deadline;
    setDeadline(Wait::Connect, at);
    co_return co_await upstream::connect(active_->upstream, endpoint, active_->ctx.upstream_tls);
  }

  // The error of a failure before the response head went out, from what timed out.
  ProxyError failure(ErrorKind otherwise) {
    if (!timed_out_) return ProxyError::of(otherwise);
    timed_out_ = false;
    if (active_->ctx.deadline && Clock::now() >= *active_->ctx.deadline) return ProxyError::of(ErrorKind::TimedOut);
    if (expired_ == Wait::Connect) return ProxyError::of(ErrorKind::ConnectFailed);
    return ProxyError::of(ErrorKind::TimedOut);
  }

  asio::awaitable<bool> proxy(RequestContext& ctx, const Framing& framing) {
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
  asio::awaitable<void> retryAfter(Clock::duration delay, const AttemptOutcome& outcome) {
    closeUpstream();
    setDeadline(Wait::None, Clock::time_point::max());
    co_await beginRetry(worker_, active_->ctx, delay, outcome);
    timed_out_ = false;
  }

  // Relays the rest of the request body (after the prefix already written) from the client.
  asio::awaitable<error_code> relayRequestBody(const Framing& framing, gh::ChunkedDecoder& decoder, size_t from,
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
  asio::awaitable<std::tuple<error_code, size_t>> readResponseHead(gh::ResponseHeadParser& parser,
                                                                   std::string_view method) {
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

  void appendResponseHead(const gh::ResponseHead& head, const RequestContext& ctx, bool close, bool tunnel,
                          bool http10) {
    active_->out.clear();
    appendStatusLine(active_->out, head.status_code, head.reason.empty() ? gh::reasonPhrase(head.status_code) : head.reason);
    std::optional<std::string_view> connection_field = head.headers.find("connection");
    auto forwarded = [&](std::string_view name) {
      if (isHopByHop(name)) return false;
      if (head.chunked && gh::equalsIgnoreCase(name, "content-length")) return false;
      return !(connection_field && gh::listContainsToken(*connection_field, name));
    };
    if (!hasResponseFilters(ctx)) {
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

  asio::awaitable<bool> relayResponse(const gh::ResponseHead& head, size_t head_bytes, const Framing& framing,
                                      RequestContext& ctx) {
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

  // ---- h2c upstreams (buffered exchange; see upstream/h2c_client.h) ---------------------------

  // Reads the whole request body (decoded) into `body`. 0 when done; 413 when it is over
  // `limit`; 400 for a broken chunked body; 1 when the client went away.
  asio::awaitable<uint16_t> readWholeBody(const Framing& framing, std::string& body, size_t limit) {
    if (framing.framing == gh::BodyFraming::None) co_return 0;
    if (framing.framing == gh::BodyFraming::ContentLength && framing.content_length > limit) co_return 413;
    gh::ChunkedDecoder decoder;
    uint64_t remaining = framing.content_length;
    bool sent_continue = false;
    for (;;) {
      if (framing.framing == gh::BodyFraming::ContentLength) {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, end_ - begin_));
        body.append(buf_.get() + begin_, take);
        begin_ += take;
        remaining -= take;
        if (remaining == 0) co_return 0;
      } else {
        while (begin_ != end_ && !decoder.done()) {
          gh::ChunkedResult r = decoder.decode(buffered());
          if (r.error()) co_return 400;
          body.append(r.data);
          begin_ += r.consumed;
          if (body.size() > limit) co_return 413;
        }
        if (decoder.done()) co_return 0;
      }
      if (framing.expect_continue && !sent_continue) {
        sent_continue = true;
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (failed(co_await writeDownstream(asio::buffer(kContinue)))) co_return 1;
      }
      begin_ = end_ = 0;
      setDeadlineIn(Wait::Body, options().timeouts.body_idle);
      auto [ec, n] = co_await readDownstream(buf_.get(), capacity());
      if (ec) co_return 1;
      end_ = static_cast<uint32_t>(n);
    }
  }

  asio::awaitable<bool> proxyH2c(RequestContext& ctx, const Framing& framing) {
    static constexpr size_t kMaxBufferedBody = 1024 * 1024;
    static constexpr size_t kMaxResponseBody = 8 * 1024 * 1024;
    upstream::BufferedRequest out;
    out.has_body = framing.framing != gh::BodyFraming::None;
    if (uint16_t status = co_await readWholeBody(framing, out.body, kMaxBufferedBody)) {
      if (status == 1) co_return false;
      Framing failed = framing;
      failed.keep_alive = false;
      failed.framing = gh::BodyFraming::None;
      linger_ = true;
      if (status == 413) co_return co_await answerError(ProxyError::of(ErrorKind::RequestTooLarge), failed);
      co_return co_await answerLocal(status, failed);
    }
    if (active_->mirror) active_->mirror->decodedBody(out.body);
    gh::Request& request = ctx.request;
    // Method, authority and path stay in the context for the log phase; the headers too when a
    // response filter reads the request (CORS).
    out.method = request.method;
    out.authority = request.authority;
    out.path = request.path;
    out.headers = hasResponseFilters(ctx) ? request.headers : std::move(request.headers);
    wait_ = Wait::None;  // the exchange keeps its own deadline
    upstream::BufferedResponse response;
    const std::optional<ProxyError> error = co_await exchangeBuffered(worker_, ctx, out, response, kMaxResponseBody);
    ctx.deadline.reset();
    Framing answered = framing;
    answered.framing = gh::BodyFraming::None;  // the body has been read
    if (error) co_return co_await answerError(*error, answered);

    gh::Response reply;
    reply.status = response.status;
    reply.headers = std::move(response.headers);
    applyResponsePhase(ctx, reply);
    ctx.status = reply.status;
    const bool keep = framing.keep_alive && !draining_ && !acceptor_->closed();
    active_->out.clear();
    appendStatusLine(active_->out, reply.status, gh::reasonPhrase(reply.status));
    for (const auto& [name, value] : reply.headers.fields()) appendField(active_->out, name, value);
    const bool bodyless = reply.status < 200 || reply.status == 204 || reply.status == 304;
    if (!bodyless && !framing.head_method) {
      appendField(active_->out, "Content-Length", std::to_string(response.body.size()));
    }
    if (!keep) {
      appendField(active_->out, "Connection", "close");
    } else if (framing.http10) {
      appendField(active_->out, "Connection", "keep-alive");
    }
    active_->out.append("\r\n");
    setDeadlineIn(Wait::Body, options().timeouts.body_idle);
    const size_t body_bytes = framing.head_method || bodyless ? 0 : response.body.size();
    std::array<asio::const_buffer, 2> bufs{asio::buffer(active_->out), asio::buffer(response.body.data(), body_bytes)};
    if (failed(co_await writeDownstream(bufs))) co_return false;
    co_return keep;
  }

  // ---- WebSocket: bytes both ways until either side closes -----------------------------------
  asio::awaitable<void> splice() {
    using namespace asio::experimental::awaitable_operators;
    // Bytes the client sent after its upgrade request go first.
    if (begin_ != end_) {
      if (failed(co_await writeUpstream(asio::buffer(buf_.get() + begin_, end_ - begin_)))) co_return;
      begin_ = end_ = 0;
    }
    co_await (pumpToUpstream() && pumpToDownstream());
    closeUpstream();
  }

  asio::awaitable<void> pumpToUpstream() {
    for (;;) {
      setDeadlineIn(Wait::Tunnel, options().timeouts.keepalive_idle);
      auto [ec, n] = co_await readDownstream(buf_.get(), capacity());
      if (ec) break;
      if (failed(co_await writeUpstream(asio::buffer(buf_.get(), n)))) break;
    }
    error_code ignored;
    if (active_->upstream.is_open()) active_->upstream.shutdown(tcp::socket::shutdown_send, ignored);
    if (timed_out_) cancelSockets();
  }

  asio::awaitable<void> pumpToDownstream() {
    for (;;) {
      setDeadlineIn(Wait::Tunnel, options().timeouts.keepalive_idle);
      auto [ec, n] = co_await active_->upstream.async_read_some(asio::buffer(ubuf_.get(), capacity()), kTuple);
      if (ec) break;
      if (failed(co_await writeDownstream(asio::buffer(ubuf_.get(), n)))) break;
    }
    error_code ignored;
    downstream().shutdown(tcp::socket::shutdown_send, ignored);
    if (timed_out_) cancelSockets();
  }

  // ---- state ----------------------------------------------------------------------------------
  Worker& worker_;
  std::shared_ptr<net::Acceptor> acceptor_;
  Stream stream_;
  std::shared_ptr<const tls::SocketTls> tls_;  // the SNI callback reads it during the handshake
  std::unique_ptr<Active> active_;
  tcp::endpoint remote_;
  std::unique_ptr<char[]> buf_;   // downstream bytes [begin_, end_)
  std::unique_ptr<char[]> ubuf_;  // upstream bytes [0, uend_)
  uint32_t begin_ = 0;
  uint32_t end_ = 0;
  uint32_t uend_ = 0;
  Clock::time_point deadline_{};
  Clock::time_point timer_at_{};
  uint32_t timer_seq_ = 0;
  Wait wait_ = Wait::None;
  Wait expired_ = Wait::None;
  bool timer_pending_ = false;
  bool timed_out_ = false;
  bool idle_ = false;
  bool hot_ = false;      // waiting hot with a read into the buffer
  bool cooling_ = false;  // that read was cancelled to park
  bool draining_ = false;
  bool linger_ = false;
  bool client_gone_ = false;
  bool finished_ = false;
  bool readable_ = false;  // woken from park(): bytes are waiting
  bool first_ = true;      // no request seen yet (the idle wait uses the header timeout)
  bool handshaken_ = false;  // TLS
};

void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket) {
  std::make_shared<H1Connection<tcp::socket>>(worker, std::move(acceptor), std::move(socket), nullptr)->start();
}

void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tls::Stream stream,
                       std::shared_ptr<const tls::SocketTls> tls) {
  std::make_shared<H1Connection<tls::Stream>>(worker, std::move(acceptor), std::move(stream), std::move(tls))->start();
}

}  // namespace gatehouse::dataplane
