#pragma once
// The downstream HTTP/1.1 connection (h1_connection.h), one class template over the plain socket
// and the TLS stream, implemented in four files by responsibility:
//   h1_connection.cc          the connection loop (hot and cold idle waits, closing) and reading
//                             a request head into the pipeline's RequestContext
//   h1_upstream_exchange.cc   the exchange with an HTTP/1.1 upstream: the request streamed over a
//                             pooled connection with the rule's retries, the response relayed back
//   h1_h2c_exchange.cc        the same with an h2c (or h2 over TLS) upstream, streamed both ways
//                             through an upstream::StreamingExchange
//   h1_websocket_tunnel.cc    an upgraded connection's bytes, both ways until either side closes
//   h1_local_answers.cc       the responses the gateway writes itself (errors, redirects)
// This header holds the state they share and the plumbing they all use (deadlines, buffers,
// writes). Each file explicitly instantiates, for both streams, the members the others call.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "dataplane/event/worker.h"
#include "dataplane/filters/mirror.h"
#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"
#include "dataplane/http/message.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/proxy_error.h"
#include "dataplane/pipeline/request_context.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/tls/server_context.h"
#include "dataplane/tls/stream.h"
#include "dataplane/upstream/connection.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::upstream {
class StreamingExchange;
struct StreamedResponseHead;
}  // namespace gatehouse::dataplane::upstream

namespace gatehouse::dataplane::h1 {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
namespace gh = gatehouse::http;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// ---- wire helpers ------------------------------------------------------------------------------
// Hop-by-hop fields (RFC 9110 7.6.1) plus the framing fields the proxy re-creates itself.
inline bool isHopByHop(std::string_view name) {
  switch (name.size()) {
    case 2: return gh::equalsIgnoreCase(name, "te");
    case 7: return gh::equalsIgnoreCase(name, "trailer") || gh::equalsIgnoreCase(name, "upgrade");
    case 10: return gh::equalsIgnoreCase(name, "connection") || gh::equalsIgnoreCase(name, "keep-alive");
    case 16: return gh::equalsIgnoreCase(name, "proxy-connection");
    case 17: return gh::equalsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

inline void appendStatusLine(std::string& out, uint16_t status, std::string_view reason) {
  char digits[4] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                    static_cast<char>('0' + status % 10), ' '};
  out.append("HTTP/1.1 ");
  out.append(digits, 4);
  out.append(reason);
  out.append("\r\n");
}

inline void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
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
  bool te_trailers = false;  // "TE: trailers": the client takes a trailer section (h2c upstreams' trailers)
};

// The request body on its way to an h2c stream, and how its relay ended (h1_h2c_exchange.cc).
struct H2cRequestBody;
enum class H2cBodyRelay : uint8_t {
  Done,       // the whole body went to the stream (endBody)
  Stopped,    // the stream took no more (it failed, or the upstream answered early)
  ClientGone, // the client closed or its body timed out
  Broken,     // an invalid chunked body
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

  // ---- connection loop and request reading (h1_connection.cc) ----------------------------------
  void spawn();
  asio::awaitable<void> run();
  bool hotAllowed() const;
  void enterHot();
  bool leaveHot(error_code ec);
  void park(std::chrono::milliseconds timeout);
  void unpark(error_code ec);
  asio::awaitable<void> finish();
  asio::awaitable<bool> serveOne();
  asio::awaitable<bool> serveRequest(RequestContext& ctx, const Framing& framing);

  // ---- local answers (h1_local_answers.cc) -----------------------------------------------------
  bool skipBufferedBody(const Framing& framing);
  asio::awaitable<bool> answerLocal(uint16_t status, const Framing& framing);
  asio::awaitable<bool> answerError(ProxyError error, const Framing& framing);
  asio::awaitable<bool> answerLocal(const gh::Response& response, const Framing& framing);
  asio::awaitable<void> refuse(uint16_t status, bool head_parsed = false);
  asio::awaitable<void> sendLocal(uint16_t status, bool close, bool head_method);

  // ---- the upstream exchange (h1_upstream_exchange.cc) -----------------------------------------
  void buildUpstreamHead(const gh::Request& request, const Framing& framing);
  asio::awaitable<error_code> connectUpstream(const snapshot::Endpoint& endpoint);
  ProxyError failure(ErrorKind otherwise);
  asio::awaitable<bool> proxy(RequestContext& ctx, const Framing& framing);
  asio::awaitable<void> retryAfter(Clock::duration delay, const AttemptOutcome& outcome);
  asio::awaitable<error_code> relayRequestBody(const Framing& framing, gh::ChunkedDecoder& decoder, size_t from,
                                               uint64_t remaining);
  asio::awaitable<std::tuple<error_code, size_t>> readResponseHead(gh::ResponseHeadParser& parser,
                                                                   std::string_view method);
  void appendResponseHead(const gh::ResponseHead& head, const RequestContext& ctx, bool close, bool tunnel,
                          bool http10);
  asio::awaitable<bool> relayResponse(const gh::ResponseHead& head, size_t head_bytes, const Framing& framing,
                                      RequestContext& ctx);

  // ---- the upstream exchange over h2c (h1_h2c_exchange.cc) -------------------------------------
  asio::awaitable<bool> proxyH2c(RequestContext& ctx, const Framing& framing);
  asio::awaitable<H2cBodyRelay> relayBodyToH2c(const Framing& framing, H2cRequestBody& body,
                                               upstream::StreamingExchange& exchange);
  asio::awaitable<bool> relayH2cResponse(RequestContext& ctx, const Framing& framing,
                                         const std::shared_ptr<upstream::StreamingExchange>& exchange,
                                         upstream::StreamedResponseHead& head, bool request_read);
  void watchClientLeaving(std::weak_ptr<upstream::StreamingExchange> exchange);

  // ---- WebSocket tunnel (h1_websocket_tunnel.cc) -----------------------------------------------
  asio::awaitable<void> splice();
  asio::awaitable<void> pumpToUpstream();
  asio::awaitable<void> pumpToDownstream();

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

}  // namespace gatehouse::dataplane::h1
