// The streamed HTTP/1.1 exchange of streaming.h.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>

#include "dataplane/event/idle_list.h"
#include "dataplane/event/worker.h"
#include "dataplane/http/chunked_decoder.h"
#include "dataplane/http/h1_parser.h"
#include "dataplane/upstream/connector.h"
#include "dataplane/upstream/streaming.h"

namespace gatehouse::dataplane::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class H1Streaming final : public StreamingExchange,
                          public IdleEntry,
                          public std::enable_shared_from_this<H1Streaming> {
 public:
  H1Streaming(Worker& worker, const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
              const StreamedRequest& request, const ExchangeOptions& options)
      : worker_(worker),
        endpoint_(endpoint),
        tls_(tls),
        socket_(worker.io()),
        deadline_timer_(worker.io()),
        deadline_(options.deadline),
        method_(request.head.method),
        chunked_(request.body_follows && !request.content_length),
        request_done_(!request.body_follows),
        // Nothing but the head to send again: a pooled connection found closed may be replaced.
        replayable_(options.replay_stale && !request.body_follows && http::isIdempotent(request.head.method)),
        parser_(request.head.method, headLimits()),
        chunk_(worker.takeBuffer()) {
    head_ = serializeH1HeadFields(request.head);
    if (request.content_length) {
      head_.append("Content-Length: ").append(std::to_string(*request.content_length)).append("\r\n");
    } else if (chunked_) {
      head_.append("Transfer-Encoding: chunked\r\n");
    }
    head_.append("\r\n");
  }
  ~H1Streaming() override { worker_.giveBuffer(std::move(chunk_)); }

  // `exchange` is set once the head is on its way.
  static asio::awaitable<Outcome> open(std::shared_ptr<H1Streaming> self, std::shared_ptr<StreamingExchange>& exchange) {
    if (auto pooled = self->worker_.upstreams().take(self->endpoint_, self->tls_, Pool::Probe::Always)) {
      self->socket_ = std::move(*pooled);
      self->reused_ = true;
    } else if (Outcome failure = co_await self->connectFresh(); failure) {
      co_return failure;
    }
    if (!co_await self->write(asio::buffer(self->head_))) {
      if (!self->reused_ || !self->replayable_) co_return self->lastFailure();
      if (Outcome failure = co_await self->replay(); failure) co_return failure;
    }
    exchange = std::move(self);
    co_return std::nullopt;
  }

  asio::awaitable<bool> writeBody(const std::string& data) override {
    if (data.empty()) co_return !cancelled_;
    if (!chunked_) co_return co_await write(asio::buffer(data));
    char size_line[20];
    auto [end, ec] = std::to_chars(size_line, size_line + 16, data.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    std::array<asio::const_buffer, 3> out{asio::buffer(size_line, static_cast<size_t>(end - size_line)),
                                          asio::buffer(data), asio::buffer("\r\n", 2)};
    co_return co_await write(out);
  }

  asio::awaitable<bool> endBody(http::Headers trailers) override {
    bool ok = !cancelled_;
    if (ok && chunked_) {
      std::string last = "0\r\n";
      for (const auto& [name, value] : trailers.fields()) {
        if (!isConnectionSpecific(name)) last.append(name).append(": ").append(value).append("\r\n");
      }
      last.append("\r\n");
      ok = co_await write(asio::buffer(last));
    }
    request_done_ = ok;
    if (ok && response_done_) release();
    co_return ok;
  }

  asio::awaitable<Outcome> readHead(StreamedResponseHead& head) override {
    http::ParseResult parsed;
    for (;;) {
      parsed = parser_.parse(buffer_);
      if (parsed.error()) co_return ProxyError::of(ErrorKind::BadResponse);
      if (parsed.complete()) {
        if (!parser_.head().interim) break;
        buffer_.erase(0, parsed.consumed);
        parser_.reset(method_);
        continue;
      }
      // readMore(), inlined: a coroutine frame less per request.
      bool more = false;
      if (!cancelled_ && beginWait()) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk_.get(), readSize()), kTuple);
        more = tookRead(ec, n);
      }
      if (more) continue;
      if (!buffer_.empty() || !reused_ || !replayable_ || replayed_) co_return lastFailure();
      if (Outcome failure = co_await replay(); failure) co_return failure;
    }
    const http::ResponseHead& parsed_head = parser_.head();
    head.status = parsed_head.status_code;
    std::optional<std::string_view> connection_field = parsed_head.headers.find("connection");
    head.headers.fields().reserve(parsed_head.headers.size());
    for (const http::Header& field : parsed_head.headers) {
      if (isConnectionSpecific(field.name)) continue;
      if (connection_field && http::listContainsToken(*connection_field, field.name)) continue;
      head.headers.add(std::string(field.name), std::string(field.value));
    }
    framing_ = parsed_head.framing;
    if (framing_ == http::BodyFraming::ContentLength) head.content_length = parsed_head.content_length;
    head.ended = framing_ == http::BodyFraming::None;
    remaining_ = parsed_head.content_length.value_or(0);
    keep_alive_ = parsed_head.keep_alive && !parsed_head.becomes_tunnel;
    buffer_.erase(0, parsed.consumed);
    co_return std::nullopt;
  }

  asio::awaitable<Outcome> readBody(std::string& out, size_t max, bool& done, http::Headers&) override {
    done = false;
    for (;;) {
      const size_t before = out.size();
      switch (framing_) {
        case http::BodyFraming::None:
          done = true;
          break;
        case http::BodyFraming::ContentLength: {
          const size_t take = static_cast<size_t>(std::min<uint64_t>({remaining_, buffer_.size(), max}));
          out.append(buffer_, 0, take);
          buffer_.erase(0, take);
          remaining_ -= take;
          done = remaining_ == 0;
          break;
        }
        case http::BodyFraming::Chunked: {
          size_t at = 0;
          while (at < buffer_.size() && !decoder_.done() && out.size() - before < max) {
            const std::string_view input = std::string_view(buffer_).substr(at, max - (out.size() - before));
            http::ChunkedResult r = decoder_.decode(input);
            if (r.error()) co_return ProxyError::of(ErrorKind::BadResponse);
            out.append(r.data);
            at += r.consumed;
          }
          buffer_.erase(0, at);
          done = decoder_.done();
          break;
        }
        case http::BodyFraming::UntilClose: {
          const size_t take = std::min(buffer_.size(), max);
          out.append(buffer_, 0, take);
          buffer_.erase(0, take);
          break;
        }
      }
      if (done) {
        response_done_ = true;
        if (request_done_) release();
        co_return std::nullopt;
      }
      if (out.size() > before) co_return std::nullopt;
      if (!co_await readMore()) {
        if (framing_ == http::BodyFraming::UntilClose && !timed_out_ && !cancelled_) {
          done = true;
          response_done_ = true;
          co_return std::nullopt;
        }
        co_return lastFailure();
      }
    }
  }

  void cancel() override {
    cancelled_ = true;
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  static http::HeadLimits headLimits() {
    http::HeadLimits limits;
    limits.max_head_bytes = kMaxResponseHead;
    return limits;
  }

  Outcome lastFailure() const { return timed_out_ ? ProxyError::of(ErrorKind::TimedOut) : ProxyError::of(ErrorKind::BadResponse); }

  asio::awaitable<Outcome> connectFresh() {
    error_code ignored;
    socket_.close(ignored);
    socket_ = Connection(worker_.io());
    reused_ = false;
    const auto connect_by = std::min(deadline_, Clock::now() + worker_.options().timeouts.upstream_connect);
    SocketDeadline deadline(worker_.io(), socket_.socket(), connect_by);
    if (error_code ec = co_await connect(socket_, endpoint_, tls_)) {
      if (deadline.fired() && connect_by == deadline_) co_return ProxyError::of(ErrorKind::TimedOut);
      co_return ec == handshakeFailed() ? ProxyError::of(ErrorKind::BadResponse) : ProxyError::of(ErrorKind::ConnectFailed);
    }
    co_return cancelled_ ? ProxyError::of(ErrorKind::BadResponse) : Outcome{};
  }

  // The pooled connection was closed before any response byte: the head again on a new one.
  asio::awaitable<Outcome> replay() {
    replayed_ = true;
    if (Outcome failure = co_await connectFresh(); failure) co_return failure;
    co_return co_await write(asio::buffer(head_)) ? Outcome{} : lastFailure();
  }

  template <class Buffers>
  asio::awaitable<bool> write(const Buffers& buffers) {
    if (cancelled_ || !beginWait()) co_return false;
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kTuple);
    endWait();
    co_return !ec && !cancelled_;
  }

  asio::awaitable<bool> readMore() {
    if (cancelled_ || !beginWait()) co_return false;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk_.get(), readSize()), kTuple);
    co_return tookRead(ec, n);
  }

  size_t readSize() const { return worker_.options().limits.read_buffer_bytes; }

  // The end of a read started after beginWait(): false when it failed or the exchange was cancelled.
  bool tookRead(error_code ec, size_t n) {
    endWait();
    if (ec || cancelled_) return false;
    buffer_.append(chunk_.get(), n);
    return true;
  }

  // Each wait for the upstream (a write or a read) is bounded by Timeouts::body_idle through
  // the worker's IdleList (a list link per wait: a timer armed and cancelled around every read
  // and write cost ~1.5k instructions per request), and the whole exchange by deadline_ through
  // one timer, armed at the first wait when the request has a timeout. False: deadline_ passed.
  bool beginWait() {
    if (deadline_ != Clock::time_point::max()) {
      if (Clock::now() >= deadline_) {
        timed_out_ = true;
        return false;
      }
      if (!deadline_armed_) armDeadline();
    }
    waiting_ = true;
    worker_.idle().park(*this, worker_.options().timeouts.body_idle);
    return true;
  }

  void endWait() {
    waiting_ = false;
    IdleList::unpark(*this);
  }

  // body_idle passed in a wait.
  void idleExpired() override { timeOut(); }

  void timeOut() {
    timed_out_ = true;
    error_code ignored;
    socket_.socket().cancel(ignored);
  }

  void armDeadline() {
    deadline_armed_ = true;
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([weak = weak_from_this()](error_code ec) {
      const std::shared_ptr<H1Streaming> self = weak.lock();
      if (!self || ec) return;
      if (self->waiting_) self->timeOut();  // else the next wait fails in beginWait()
    });
  }

  // Both messages ended: the connection is reused when the response was cleanly delimited.
  void release() {
    if (cancelled_ || !keep_alive_ || framing_ == http::BodyFraming::UntilClose || !buffer_.empty()) return;
    if (socket_.is_open()) worker_.upstreams().put(endpoint_, tls_, std::move(socket_));
    cancelled_ = true;  // the socket is the pool's now
  }

  Worker& worker_;
  const snapshot::Endpoint endpoint_;
  const tls::UpstreamContext* const tls_;  // the request's generation keeps it alive
  Connection socket_;
  boost::asio::steady_timer deadline_timer_;
  bool deadline_armed_ = false;
  bool waiting_ = false;  // a write or read is pending
  const Clock::time_point deadline_;
  const std::string method_;
  const bool chunked_;
  bool request_done_;
  const bool replayable_;
  std::string head_;
  http::ResponseHeadParser parser_;
  std::string buffer_;  // response bytes read and not yet handed out
  std::unique_ptr<char[]> chunk_;  // the worker's: a stream's object stays small (h2 opens one per request)
  http::BodyFraming framing_ = http::BodyFraming::None;
  uint64_t remaining_ = 0;
  http::ChunkedDecoder decoder_;
  bool keep_alive_ = false;
  bool reused_ = false;
  bool replayed_ = false;
  bool response_done_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
};

}  // namespace

asio::awaitable<Outcome> openH1Streaming(Worker& worker, const snapshot::Endpoint& endpoint,
                                         const tls::UpstreamContext* tls, const StreamedRequest& request,
                                         const ExchangeOptions& options, std::shared_ptr<StreamingExchange>& exchange) {
  // Not a coroutine: the exchange takes what it needs of the arguments now.
  return H1Streaming::open(std::make_shared<H1Streaming>(worker, endpoint, tls, request, options), exchange);
}

}  // namespace gatehouse::dataplane::upstream
