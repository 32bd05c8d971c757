#include "dataplane/http/h2_connection.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "dataplane/event/worker.h"
#include "dataplane/filters/mirror.h"
#include "dataplane/http/h2_data_frame.h"
#include "dataplane/http/h2_server_session.h"
#include "dataplane/http/message.h"
#include "dataplane/net/acceptor.h"
#include "dataplane/pipeline/grpc.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/policies/policy_phase.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/upstream/exchange.h"
#include "dataplane/upstream/h2c_client.h"

namespace gatehouse::http {

PrefaceMatch matchH2Preface(std::string_view received) {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  if (received.empty()) return PrefaceMatch::No;
  if (received.size() < kPreface.size()) {
    return kPreface.substr(0, received.size()) == received ? PrefaceMatch::Partial : PrefaceMatch::No;
  }
  return received.substr(0, kPreface.size()) == kPreface ? PrefaceMatch::Full : PrefaceMatch::No;
}

}  // namespace gatehouse::http

namespace gatehouse::dataplane {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
namespace gh = gatehouse::http;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxWriteBatch = 64 * 1024;
// Response bytes read from the upstream and not yet sent, per stream: the upstream is read only
// while there is room (the client's windows decide how fast it empties).
constexpr size_t kStreamBuffer = 64 * 1024;
// Request bytes the client may have in flight: per stream the default SETTINGS_INITIAL_WINDOW_SIZE
// (65,535), per connection this. Received bytes re-open the windows only once the upstream took
// them, so they bound what a connection's uploads hold in memory.
constexpr int32_t kConnectionWindow = 1 << 20;

// The field list nghttp2 is given for a HEADERS frame (it copies the fields): names lower-cased
// (RFC 9113 8.2.1) into one buffer. The buffers are the worker thread's and keep their capacity,
// so a response head costs no allocation here (a vector and a string per name did).
class FieldList {
 public:
  static FieldList& forThisThread() {
    thread_local FieldList list;
    return list;
  }

  void reset(size_t fields, size_t name_bytes) {
    nva_.clear();
    nva_.reserve(fields);
    names_.clear();
    names_.reserve(name_bytes);  // no reallocation below: nva_ points into names_
  }
  void add(std::string_view name, std::string_view value) {
    nva_.push_back(nv(name, value));
  }
  // `name` as lower case.
  void addLowered(std::string_view name, std::string_view value) {
    const size_t at = names_.size();
    for (char c : name) names_.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c);
    nva_.push_back(nv(std::string_view(names_).substr(at), value));
  }
  const nghttp2_nv* data() const { return nva_.data(); }
  size_t size() const { return nva_.size(); }
  size_t bytes() const {
    size_t n = 0;
    for (const nghttp2_nv& nv : nva_) n += nv.namelen + nv.valuelen;
    return n;
  }

 private:
  static nghttp2_nv nv(std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE};
  }

  std::vector<nghttp2_nv> nva_;
  std::string names_;
};

size_t nameBytes(const gh::Headers& headers) {
  size_t n = 0;
  for (const auto& [name, value] : headers.fields()) n += name.size();
  return n;
}

// `Stream`: tcp::socket (h2c with prior knowledge) or tls::Stream (ALPN "h2").
template <class Stream>
class H2Connection final : public net::ConnectionBase, public std::enable_shared_from_this<H2Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, tls::Stream>;

 public:
  H2Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, Stream stream)
      : worker_(worker), acceptor_(std::move(acceptor)), stream_(std::move(stream)), idle_timer_(worker.io()) {}
  ~H2Connection() override {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  void start(std::string_view received) {
    acceptor_->track(*this);
    error_code ec;
    remote_ = lowest().remote_endpoint(ec);
    if (!ec) client_ip_ = remote_.address().to_string();
    session_ = gh::newH2ServerSession(callbacks(), this, worker_.options().http2, kConnectionWindow, &memory_);
    if (session_ == nullptr) {
      lowest().close(ec);
      return;
    }
    initial_.assign(received);
    flush();  // the server's SETTINGS
    armIdle();
    asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->run(); }, asio::detached);
  }

  void drain() override {
    draining_ = true;
    if (session_ == nullptr || closed_) return;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    flush();
    closeIfDone();
  }

 private:
  struct H2Stream {
    explicit H2Stream(asio::io_context& io) : request_signal(io), response_signal(io) {}
    int32_t id = 0;
    RequestContext ctx;
    gh::H2RequestHead head;  // moved into ctx.request when the stream is served
    // Emitted when the stream closes while serve() opens its exchange: cancels the connect.
    asio::cancellation_signal cancel;
    bool serving = false;
    bool closed = false;
    // ---- the request body: received and not yet taken by the upstream. Its bytes are
    // consumed (the client's windows re-opened) only once the upstream took them.
    std::string request_body;
    size_t unconsumed = 0;          // received bytes not yet given back to the windows
    bool has_body = false;          // HEADERS came without END_STREAM
    bool request_ended = false;     // END_STREAM seen
    bool discard_body = false;      // no upstream takes the body (answered locally, failed)
    asio::steady_timer request_signal;  // cancelled when body bytes or the end arrive, and on close
    std::shared_ptr<upstream::StreamingExchange> exchange;
    // ---- the response being sent: DATA frames are read from response_body[sent..], then the
    // trailers once response_ended.
    std::string response_body;
    size_t sent = 0;
    bool response_ended = false;
    bool deferred = false;  // nghttp2 waits for nghttp2_session_resume_data
    gh::Headers trailers;
    asio::steady_timer response_signal;  // cancelled when bytes were sent, and on close

    // For the next stream of the connection; strings and vectors keep their storage unless large.
    void reset() {
      id = 0;
      ctx.reset();
      head = gh::H2RequestHead();
      serving = false;
      closed = false;
      releaseIfLarge(request_body);
      unconsumed = 0;
      has_body = false;
      request_ended = false;
      discard_body = false;
      exchange.reset();
      releaseIfLarge(response_body);
      sent = 0;
      response_ended = false;
      deferred = false;
      trailers.fields().clear();
    }
    static void releaseIfLarge(std::string& s) {
      if (s.capacity() > 4096) {
        std::string().swap(s);
      } else {
        s.clear();
      }
    }
  };

  // Closed streams kept for the next ones (at most kSpareStreams; none while parked):
  // constructing and destroying a stream (its RequestContext, two timers, the cancellation
  // handler serve() leaves in its signal) cost ~1.5k instructions and two allocations per request.
  static constexpr size_t kSpareStreams = 16;

  std::shared_ptr<H2Stream> newStream() {
    for (size_t i = 0; i < spare_streams_.size(); ++i) {
      // Still referenced: serve() or the body's coroutine has not ended yet.
      if (spare_streams_[i].use_count() != 1) continue;
      std::shared_ptr<H2Stream> stream = std::move(spare_streams_[i]);
      spare_streams_[i] = std::move(spare_streams_.back());
      spare_streams_.pop_back();
      stream->reset();
      return stream;
    }
    return std::make_shared<H2Stream>(worker_.io());
  }

  void keepSpare(std::shared_ptr<H2Stream> stream) {
    if (spare_streams_.size() >= kSpareStreams) return;
    // Unreferenced: what the request held (its exchange with the worker's read buffer, the
    // configuration generation) goes now rather than when the object is reused.
    if (stream.use_count() == 1) stream->reset();
    spare_streams_.push_back(std::move(stream));
  }

  // ---- I/O ------------------------------------------------------------------------------------
  tcp::socket& lowest() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // Reads into a buffer borrowed from the worker while a stream is open, and for up to kHotIdle
  // after the last one closed (at most kMaxHot connections per worker: 1 MiB of buffers), so that
  // a client's next request costs no readiness wait (an epoll_ctl) and no new coroutine. Then
  // the connection parks: the read is cancelled, the coroutine ends, the buffer goes back (nghttp2
  // keeps the bytes of a partial frame itself, so no later read needs it), and a readiness wait
  // spawns run() again when the client sends. A parked connection holds its socket, its nghttp2
  // session and (TLS) its SSL object, nothing else (docs/design/event-loop.md, "Idle HTTP/2
  // connections").
  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    if (!initial_.empty()) {
      const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(initial_.data()),
                                                  initial_.size());
      initial_.clear();
      initial_.shrink_to_fit();
      if (rv < 0) {
        co_await goAwayAfterFatal(rv);
        close();
        co_return;
      }
      flush();
    }
    while (!closed_) {
      if (parkable()) {
        park();
        co_return;
      }
      if (!buffer_) buffer_ = worker_.takeBuffer();
      reading_ = true;
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer_.get(), readCapacity()),
                                                      asio::bind_cancellation_slot(cool_.slot(), kTuple));
      reading_ = false;
      readable_ = false;
      if (ec == asio::error::operation_aborted && !closed_) continue;  // cooled: park
      if (ec) break;
      if (const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buffer_.get()), n);
          rv < 0) {
        co_await goAwayAfterFatal(rv);
        break;
      }
      flush();
      if (closeIfDone()) break;
    }
    close();
  }

  size_t readCapacity() const { return worker_.options().limits.read_buffer_bytes; }

  // No stream open, not woken by the client's bytes, not waiting hot, and (TLS) no bytes read
  // ahead that a readiness wait would not see.
  bool parkable() const {
    if (!streams_.empty() || hot_ || readable_) return false;
    if constexpr (kTls) return !stream_.hasPending();
    return true;
  }

  void park() {
    parked_ = true;
    spare_streams_.clear();
    worker_.giveBuffer(std::move(buffer_));
    if (!writing_) releaseWriteBuffers();  // else the write loop does when done
    lowest().async_wait(tcp::socket::wait_read, [self = this->shared_from_this()](error_code ec) {
      if (self->closed_) return;  // close() cancelled the wait
      self->parked_ = false;
      if (ec) return self->close();
      self->readable_ = true;
      asio::co_spawn(self->worker_.io(), [self] { return self->run(); }, asio::detached);
    });
  }

  // The write batch, and the idle pages of the nghttp2 session (its frame buffer: usually one,
  // 16 KiB after a large DATA frame; its empty stream map) while nghttp2 has nothing to write.
  void releaseWriteBuffers() {
    std::string().swap(wbuf_);
    if (nghttp2_session_want_write(session_) == 0) memory_.releaseIdlePages();
  }

  static constexpr std::chrono::milliseconds kHotIdle{1000};
  static constexpr size_t kMaxHot = 64;
  static size_t& hotWaiting() {  // of the worker running on this thread
    thread_local size_t waiting = 0;
    return waiting;
  }

  // The last open stream closed: wait hot for the next one, or park now.
  void streamsEnded() {
    armIdle();
    if (!reading_ || hot_) return;
    if (hotWaiting() < kMaxHot) {
      hot_ = true;
      ++hotWaiting();
      worker_.idle().park(*this, kHotIdle);
      return;
    }
    cool_.emit(asio::cancellation_type::terminal);
  }
  void leaveHot() {
    if (!hot_) return;
    hot_ = false;
    --hotWaiting();
    IdleList::unpark(*this);
  }
  // kHotIdle passed without a new stream: the read is cancelled, run() parks.
  void idleExpired() override {
    leaveHot();
    if (reading_ && streams_.empty()) cool_.emit(asio::cancellation_type::terminal);
  }

  // nghttp2 gave up on the peer (a flood, too many CONTINUATIONs, a framing error) without
  // telling it: GOAWAY with the code that says why, then close once it is written (at most 1 s).
  asio::awaitable<void> goAwayAfterFatal(ssize_t error) {
    const bool flood = error == NGHTTP2_ERR_FLOODED || error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
    nghttp2_session_terminate_session(session_, flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    flush();
    if (!writing_) co_return;
    idle_timer_.expires_after(std::chrono::seconds(1));
    co_await idle_timer_.async_wait(kTuple);  // the write loop closes the connection (and cancels this)
  }

  void flush() {
    if (writing_ || closed_ || session_ == nullptr) return;
    if (nghttp2_session_want_write(session_) == 0) return;
    writing_ = true;
    asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->writeLoop(); }, asio::detached);
  }

  asio::awaitable<void> writeLoop() {
    auto self = this->shared_from_this();
    for (;;) {
      wbuf_.clear();
      while (wbuf_.size() < kMaxWriteBatch && !closed_) {
        const uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n <= 0) break;
        wbuf_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (wbuf_.empty() || closed_) break;
      auto [ec, written] = co_await asio::async_write(stream_, asio::buffer(wbuf_), kTuple);
      if (ec) {
        close();
        break;
      }
    }
    writing_ = false;
    if (parked_) releaseWriteBuffers();
    closeIfDone();
  }

  // After GOAWAY (sent or received) with no stream left, nghttp2 wants neither to read nor write.
  bool closeIfDone() {
    if (closed_ || writing_ || session_ == nullptr) return closed_;
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      close();
      return true;
    }
    return false;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    leaveHot();
    idle_timer_.cancel();
    error_code ignored;
    if constexpr (kTls) stream_.shutdown();  // close_notify, when the socket takes it now
    lowest().cancel(ignored);  // the read loop's pending read (linger() reads from now on)
    lowest().shutdown(tcp::socket::shutdown_send, ignored);
    for (auto& [id, stream] : streams_) closeStream(*stream);
    asio::co_spawn(worker_.io(), [self = this->shared_from_this()] { return self->linger(); }, asio::detached);
  }

  // Closing with unread bytes from the peer sends a RST, which makes the peer's kernel drop what
  // it has not read yet, our GOAWAY included: read and drop for up to 1 s first (lingering close).
  asio::awaitable<void> linger() {
    auto self = this->shared_from_this();
    asio::steady_timer limit(worker_.io());
    limit.expires_after(std::chrono::seconds(1));
    limit.async_wait([this](error_code ec) {
      error_code ignored;
      if (!ec) lowest().cancel(ignored);
    });
    char sink[4096];
    for (;;) {
      auto [ec, n] = co_await lowest().async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
    }
    limit.cancel();
    error_code ignored;
    lowest().close(ignored);
  }

  // No open stream for the keep-alive idle time: GOAWAY and close.
  void armIdle() {
    idle_timer_.expires_after(worker_.options().timeouts.keepalive_idle);
    idle_timer_.async_wait([weak = this->weak_from_this()](error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (!self->streams_.empty()) {
        self->armIdle();
        return;
      }
      self->drain();
      self->close();
    });
  }

  // ---- nghttp2 callbacks ----------------------------------------------------------------------
  static const nghttp2_session_callbacks* callbacks() {
    static nghttp2_session_callbacks* cbs = [] {
      nghttp2_session_callbacks* c = nullptr;
      nghttp2_session_callbacks_new(&c);
      nghttp2_session_callbacks_set_on_begin_frame_callback(c, &H2Connection::onBeginFrame);
      nghttp2_session_callbacks_set_on_begin_headers_callback(c, &H2Connection::onBeginHeaders);
      nghttp2_session_callbacks_set_on_header_callback(c, &H2Connection::onHeader);
      nghttp2_session_callbacks_set_on_frame_recv_callback(c, &H2Connection::onFrameRecv);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &H2Connection::onData);
      nghttp2_session_callbacks_set_on_stream_close_callback(c, &H2Connection::onStreamClose);
      nghttp2_session_callbacks_set_send_data_callback(c, &H2Connection::sendData);
      return c;
    }();
    return cbs;
  }

  H2Stream* find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  // RFC 9113 checks nghttp2 leaves to the application (h2_server_session.h).
  static int onBeginFrame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (uint32_t error = self->rules_.beginFrame(session, *hd)) nghttp2_session_terminate_session(session, error);
    return 0;
  }

  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    std::shared_ptr<H2Stream> stream = self->newStream();
    stream->id = frame->hd.stream_id;
    // Room for a typical request's fields and the two X-Forwarded ones, grown one by one
    // otherwise (three or four reallocations per request).
    stream->head.request.headers.fields().reserve(16);
    self->rules_.streamOpened(stream->id);
    self->streams_[stream->id] = std::move(stream);
    self->idle_timer_.cancel();
    self->leaveHot();
    return 0;
  }

  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Stream* stream = self->find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    stream->ctx.bytes_received += namelen + valuelen;  // decoded fields, as bytes_sent counts them
    // Over the header list limit: resets the stream; nghttp2 decodes the rest of the block
    // without calling back.
    const bool kept = stream->head.add(std::string_view(reinterpret_cast<const char*>(name), namelen),
                                       std::string_view(reinterpret_cast<const char*>(value), valuelen),
                                       frame->headers.cat != NGHTTP2_HCAT_REQUEST,
                                       self->worker_.options().http2.max_header_list_bytes);
    return kept ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }

  static int onData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                    void* user) {
    auto* self = static_cast<H2Connection*>(user);
    H2Stream* stream = self->find(stream_id);
    if (stream != nullptr) stream->ctx.bytes_received += len;
    if (stream == nullptr || stream->discard_body) {
      nghttp2_session_consume(session, stream_id, len);
      return 0;
    }
    stream->request_body.append(reinterpret_cast<const char*>(data), len);
    stream->unconsumed += len;
    stream->request_signal.cancel();
    return 0;
  }

  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      if (uint32_t error = self->rules_.settingsReceived(frame->settings)) {
        nghttp2_session_terminate_session(self->session_, error);
      }
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = self->streams_.find(frame->hd.stream_id);
    if (it == self->streams_.end()) return 0;
    H2Stream& stream = *it->second;
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
      stream.request_ended = true;
      stream.request_signal.cancel();
    }
    // The request goes upstream once its head is complete; its body follows as it arrives.
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      stream.has_body = !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
      asio::co_spawn(self->worker_.io(),
                     [conn = self->shared_from_this(), stream = it->second] { return conn->serve(stream); },
                     asio::bind_cancellation_slot(stream.cancel.slot(), asio::detached));
    }
    return 0;
  }

  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    self->rules_.streamClosed(stream_id);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    self->closeStream(*it->second);
    self->keepSpare(std::move(it->second));
    self->streams_.erase(it);
    if (self->streams_.empty() && !self->closed_) self->streamsEnded();
    return 0;
  }

  // A stream that closed (reset by either side, or the connection ended): a reset stream's
  // request must not reach (or stay at) the upstream, and its unconsumed bytes go back to the
  // connection's window.
  void closeStream(H2Stream& stream) {
    if (stream.closed) return;
    stream.closed = true;
    stream.request_signal.cancel();
    stream.response_signal.cancel();
    if (stream.exchange) {
      stream.exchange->cancel();
    } else if (stream.serving) {
      stream.cancel.emit(asio::cancellation_type::terminal);
    }
    if (stream.unconsumed > 0 && session_ != nullptr) nghttp2_session_consume_connection(session_, stream.unconsumed);
    stream.unconsumed = 0;
    stream.request_body.clear();
  }

  // The upstream took `bytes` of the stream's request body: the client may send as many more.
  void consumed(H2Stream& stream, size_t bytes) {
    bytes = std::min(bytes, stream.unconsumed);
    if (stream.closed || closed_ || bytes == 0) return;
    stream.unconsumed -= bytes;
    nghttp2_session_consume(session_, stream.id, bytes);
    flush();
  }

  // No upstream takes the rest of the request body: what came and what comes is dropped.
  void discardRequestBody(H2Stream& stream) {
    stream.discard_body = true;
    consumed(stream, stream.unconsumed);  // with a piece the upstream was still writing
    stream.request_body.clear();
  }

  // How much of the stream's response body the next DATA frame carries (at most `length`), and
  // whether it ends the stream. The bytes themselves go straight from response_body into the
  // write batch (sendData(), NGHTTP2_DATA_FLAG_NO_COPY): one copy less than through nghttp2's
  // frame buffer.
  static ssize_t readBody(nghttp2_session*, int32_t stream_id, uint8_t*, size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    H2Stream* stream = self->find(stream_id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t left = stream->response_body.size() - stream->sent;
    const size_t n = std::min(length, left);
    if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (n < left) return static_cast<ssize_t>(n);
    if (stream->response_ended) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (stream->trailers.size() > 0) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        self->submitTrailers(*stream);
      }
    } else if (n == 0) {
      stream->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }

  // A DATA frame readBody() sized: its header and `length` body bytes appended to the write batch,
  // unless the batch is full (nghttp2 asks again once it was written). nghttp2 calls it only
  // while the stream is open.
  static int sendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* header, size_t length,
                      nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (self->wbuf_.size() >= kMaxWriteBatch) return NGHTTP2_ERR_WOULDBLOCK;
    H2Stream* stream = self->find(frame->hd.stream_id);
    if (stream == nullptr || stream->response_body.size() - stream->sent < length) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    const std::string_view body = std::string_view(stream->response_body).substr(stream->sent, length);
    gh::appendDataFrame(self->wbuf_, *frame, header, body);
    stream->sent += length;
    stream->ctx.bytes_sent += length;
    if (stream->sent == stream->response_body.size()) {
      stream->response_body.clear();
      stream->sent = 0;
    } else if (stream->sent >= kStreamBuffer / 2) {
      stream->response_body.erase(0, stream->sent);
      stream->sent = 0;
    }
    if (length > 0) stream->response_signal.cancel();
    return 0;
  }

  // More response bytes (or their end) for nghttp2 to send.
  void resumeResponse(H2Stream& stream) {
    if (stream.closed || closed_) return;
    if (stream.deferred) {
      stream.deferred = false;
      nghttp2_session_resume_data(session_, stream.id);
    }
    flush();
  }

  void submitTrailers(const H2Stream& stream) {
    FieldList& nva = FieldList::forThisThread();
    nva.reset(stream.trailers.size(), nameBytes(stream.trailers));
    for (const auto& [name, value] : stream.trailers.fields()) nva.addLowered(name, value);
    nghttp2_submit_trailer(session_, stream.id, nva.data(), nva.size());  // copies the fields
  }

  // ---- one request ----------------------------------------------------------------------------
  // The response head; its body follows from stream.response_body (when `has_data`), then the
  // trailers. A response with trailers or of a gRPC request goes without content-length (gRPC
  // framing is its own).
  void submitHead(H2Stream& stream, uint16_t status, const gh::Headers& headers, bool has_data,
                  std::optional<uint64_t> content_length) {
    if (stream.closed || closed_) return;
    char status_text[8];
    const auto status_end = std::to_chars(status_text, status_text + sizeof status_text, status).ptr;
    FieldList& nva = FieldList::forThisThread();
    nva.reset(headers.size() + 2, nameBytes(headers));
    nva.add(":status", std::string_view(status_text, static_cast<size_t>(status_end - status_text)));
    for (const auto& [name, value] : headers.fields()) {
      if (!upstream::isConnectionSpecific(name)) nva.addLowered(name, value);
    }
    char length[24];
    if (content_length && !stream.ctx.grpc) {
      const auto length_end = std::to_chars(length, length + sizeof length, *content_length).ptr;
      nva.add("content-length", std::string_view(length, static_cast<size_t>(length_end - length)));
    }
    stream.ctx.bytes_sent += nva.bytes();
    nghttp2_data_provider provider{};
    provider.read_callback = &H2Connection::readBody;
    nghttp2_submit_response(session_, stream.id, nva.data(), nva.size(), has_data ? &provider : nullptr);
    flush();
  }

  static bool bodyless(uint16_t status, bool head_method) { return head_method || status == 204 || status == 304; }

  // Answers `stream` with the gateway's own `response` and ends the request (log phase).
  void finishLocal(H2Stream& stream, const gh::Response& response, bool head_method) {
    discardRequestBody(stream);
    const bool no_body = bodyless(response.status, head_method);
    stream.response_body = no_body ? std::string() : response.body;
    stream.sent = 0;
    stream.response_ended = true;
    submitHead(stream, response.status, response.headers, !stream.response_body.empty(),
               no_body ? std::nullopt : std::optional<uint64_t>(response.body.size()));
    logStream(stream, response.status);
  }

  // The log phase of `stream`, its response handed to nghttp2: bytes_sent counts the head's
  // fields, the body bytes framed so far (readBody) and those still queued.
  void logStream(H2Stream& stream, uint16_t status, std::optional<ProxyError> failure = std::nullopt) {
    stream.ctx.bytes_sent += stream.response_body.size() - stream.sent;
    logPhase(worker_, stream.ctx, status, failure);
  }

  asio::awaitable<void> serve(std::shared_ptr<H2Stream> stream) {
    auto self = this->shared_from_this();
    // Reset before it could start (rapid reset, CVE-2023-44487: HEADERS and RST_STREAM in one
    // read): never forwarded.
    if (stream->closed || closed_) co_return;
    struct Serving {
      H2Stream& stream;
      explicit Serving(H2Stream& s) : stream(s) { stream.serving = true; }
      ~Serving() { stream.serving = false; }
    } serving(*stream);
    RequestContext& ctx = stream->ctx;
    gh::Request& request = ctx.request;
    ctx.started = Clock::now();
    ctx.http2 = true;
    ctx.client = remote_;
    ctx.connection = counts();
    request = std::move(stream->head.request);
    const bool head_method = request.method == "HEAD";
    if (!stream->head.cookies.empty()) request.headers.add("cookie", std::move(stream->head.cookies));
    if (request.method.empty() || request.path.empty() || request.method == "CONNECT") {
      co_return finishLocal(*stream, localResponse(400), head_method);
    }
    request.scheme = kTls ? "https" : "http";
    request.listener_port = acceptor_->port();
    if (std::string* forwarded = const_cast<std::string*>(request.headers.find("x-forwarded-for"))) {
      forwarded->append(", ");
      forwarded->append(client_ip_);
    } else {
      request.headers.add("x-forwarded-for", client_ip_);
    }
    request.headers.set("x-forwarded-proto", request.scheme);
    if constexpr (kTls) ctx.server_name = tls::serverName(stream_.native_handle());

    // ctx pins the generation current now until the response has ended.
    std::optional<gh::Response> answer = runRequestPhases(worker_, acceptor_->identity(), ctx);
    if (!answer && ctx.phases_pending) answer = co_await runPendingPhases(worker_, ctx);
    if (answer) {
      co_return finishLocal(*stream, *answer, head_method);
    }
    if (ctx.fault_delay) co_await policies::waitFaultDelay(worker_, ctx);
    upstream::StreamedRequest out;
    // Method, authority and path stay in the context for the log phase; the headers too when a
    // response filter reads the request (CORS).
    out.head.method = request.method;
    out.head.authority = request.authority;
    out.head.path = request.path;
    out.body_follows = stream->has_body;
    out.content_length = stream->head.content_length;
    // The whole body came with the head: its length is known.
    if (stream->has_body && stream->request_ended && !out.content_length) {
      out.content_length = stream->request_body.size();
    }
    std::shared_ptr<filters::MirrorTap> mirror;
    if (!ctx.mirrors.empty()) {
      // DATA frames carry the body itself: tapped like a Content-Length body (checked against the
      // mirrors' limit as it comes when no length was announced).
      mirror = filters::MirrorTap::begin(worker_.mirrors(), std::move(ctx.mirrors), request,
                                         out.body_follows ? gh::BodyFraming::ContentLength : gh::BodyFraming::None,
                                         out.content_length.value_or(0));
    }
    out.head.headers = hasResponseFilters(ctx) ? request.headers : std::move(request.headers);
    // A rule that retries reads the body first, while it fits the replay bound, to send it again.
    std::string prefix;
    if (ctx.rule->retry) {
      const bool whole = !out.body_follows || co_await bufferReplayBody(*stream, prefix);
      if (stream->closed || closed_) co_return;
      if (whole) co_return co_await serveReplayable(stream, out, prefix, mirror, head_method);
    }
    std::shared_ptr<upstream::StreamingExchange> exchange;
    if (std::optional<ProxyError> error = co_await openStreamingExchange(worker_, ctx, out, exchange)) {
      ctx.error = error;
      co_return finishLocal(*stream, errorResponse(ctx, *error), head_method);
    }
    if (stream->closed || closed_) co_return exchange->cancel();
    stream->exchange = exchange;
    if (out.body_follows && stream->request_ended && ctx.cluster->protocol == snapshot::UpstreamProtocol::H2c) {
      // The whole body is here and an h2c stream queues it without waiting: it goes out with the
      // HEADERS (and END_STREAM) in the write the exchange's session has pending (a unary gRPC
      // call: one write upstream instead of three).
      co_await forwardRequestBody(stream, exchange, mirror, std::move(prefix));
    } else if (out.body_follows) {
      asio::co_spawn(worker_.io(),
                     [self, stream, exchange, mirror, prefix = std::move(prefix)]() mutable {
                       return self->forwardRequestBody(stream, exchange, mirror, std::move(prefix));
                     },
                     asio::detached);
    } else if (mirror) {
      mirror->body({}, true);
    }
    co_await forwardResponse(*stream, *exchange, std::nullopt, head_method);
    // The response ended (or failed) before the request body: the rest is not wanted, and the
    // upstream connection (h2c: stream) in the middle of a request is not reused.
    if (!stream->request_ended) {
      discardRequestBody(*stream);
      exchange->cancel();
    }
  }

  // Reads the request body into `body` while it fits kMaxReplayBody, re-opening the client's
  // windows as it goes. True once the whole body is in `body`; false when it is larger (what did
  // not fit stays in stream.request_body, unconsumed) or the stream closed.
  asio::awaitable<bool> bufferReplayBody(H2Stream& stream, std::string& body) {
    while (!stream.closed) {
      if (!stream.request_body.empty()) {
        const size_t n = stream.request_body.size();
        if (body.size() + n > kMaxReplayBody) co_return false;
        body.append(stream.request_body);
        stream.request_body.clear();
        consumed(stream, n);
        continue;
      }
      if (stream.request_ended) co_return true;
      co_await wait(stream.request_signal);
    }
    co_return false;
  }

  // The exchange of a request whose whole body is at hand, with the rule's retries.
  asio::awaitable<void> serveReplayable(std::shared_ptr<H2Stream> stream, upstream::StreamedRequest& out,
                                        const std::string& body, const std::shared_ptr<filters::MirrorTap>& mirror,
                                        bool head_method) {
    RequestContext& ctx = stream->ctx;
    if (out.body_follows) out.content_length = body.size();
    if (mirror) mirror->body(body, true);
    upstream::StreamedResponseHead head;
    const std::optional<ProxyError> error = co_await exchangeReplayable(
        worker_, ctx, out, body, stream->head.trailers, stream->exchange, head, stream->closed);
    if (stream->closed || closed_) {
      if (stream->exchange) stream->exchange->cancel();
      co_return;
    }
    if (error) {
      ctx.error = error;
      co_return finishLocal(*stream, errorResponse(ctx, *error), head_method);
    }
    const std::shared_ptr<upstream::StreamingExchange> exchange = stream->exchange;
    co_await forwardResponse(*stream, *exchange, std::move(head), head_method);
  }

  // Client -> upstream: each piece of the body as it arrives; the client's windows re-open by
  // what the upstream took.
  asio::awaitable<void> forwardRequestBody(std::shared_ptr<H2Stream> stream,
                                           std::shared_ptr<upstream::StreamingExchange> exchange,
                                           std::shared_ptr<filters::MirrorTap> mirror, std::string prefix) {
    auto self = this->shared_from_this();
    // Read ahead for a retry that did not fit: its windows were re-opened already.
    if (!prefix.empty()) {
      if (mirror) mirror->body(prefix, false);
      if (!co_await exchange->writeBody(prefix)) {
        if (!stream->closed) discardRequestBody(*stream);
        co_return;
      }
    }
    std::string piece;
    for (;;) {
      while (stream->request_body.empty() && !stream->request_ended && !stream->closed && !stream->discard_body) {
        co_await wait(stream->request_signal);
      }
      if (stream->closed || stream->discard_body) co_return;
      if (!stream->request_body.empty()) {
        piece.clear();
        piece.swap(stream->request_body);
        if (mirror) mirror->body(piece, false);
        if (!co_await exchange->writeBody(piece)) {
          if (!stream->closed) discardRequestBody(*stream);
          co_return;
        }
        consumed(*stream, piece.size());
        continue;
      }
      if (mirror) mirror->body({}, true);
      co_await exchange->endBody(std::move(stream->head.trailers));
      co_return;
    }
  }

  // Upstream -> client: the head (`read_head`, or read here when nullopt), then the body read
  // only while the stream's buffer has room, then the trailers. Ends the request (log phase).
  asio::awaitable<void> forwardResponse(H2Stream& stream, upstream::StreamingExchange& exchange,
                                        std::optional<upstream::StreamedResponseHead> read_head, bool head_method) {
    RequestContext& ctx = stream.ctx;
    if (!read_head) {
      read_head.emplace();
      if (Outcome outcome = co_await exchange.readHead(*read_head); outcome) {
        exchange.cancel();
        if (stream.closed) co_return;
        ctx.error = *outcome;
        co_return finishLocal(stream, errorResponse(ctx, *ctx.error), head_method);
      }
    }
    upstream::StreamedResponseHead& head = *read_head;
    gh::Response reply;
    reply.status = head.status;
    reply.headers = std::move(head.headers);
    applyResponsePhase(ctx, reply);
    const bool no_body = bodyless(reply.status, head_method);
    // The upstream said the body is empty: the head ends the stream (a gRPC trailers-only answer).
    const bool empty = no_body || head.content_length == 0 || head.ended;
    submitHead(stream, reply.status, reply.headers, !empty, no_body ? std::nullopt : head.content_length);
    std::optional<ProxyError> failure;
    bool done = false;
    std::string discarded;
    while (!done && !stream.closed) {
      while (stream.response_body.size() - stream.sent >= kStreamBuffer && !stream.closed) {
        co_await wait(stream.response_signal);
      }
      if (stream.closed) break;
      std::string& into = empty ? discarded : stream.response_body;
      gh::Headers trailers;
      const Outcome outcome =
          co_await exchange.readBody(into, kStreamBuffer - (into.size() - (empty ? 0 : stream.sent)), done, trailers);
      discarded.clear();
      if (stream.closed) break;
      if (outcome) {
        failure = *outcome;
        exchange.cancel();
        if (ctx.grpc && !empty) {
          // A gRPC client takes a reset for a transport failure of its own: what it has is sent,
          // then trailers with the gateway's status (UNAVAILABLE; DEADLINE_EXCEEDED on a timeout).
          stream.trailers = grpcLocalResponse(*failure).headers;
          stream.trailers.remove("content-type");
          stream.response_ended = true;
          resumeResponse(stream);
        } else {
          nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
          flush();
        }
        break;
      }
      if (done && !empty) {
        stream.response_ended = true;
        stream.trailers = std::move(trailers);
      }
      if (!empty) resumeResponse(stream);
    }
    if (stream.closed && !done) exchange.cancel();
    logStream(stream, reply.status, failure);
  }

  asio::awaitable<void> wait(asio::steady_timer& signal) {
    signal.expires_at(Clock::time_point::max());
    co_await signal.async_wait(kTuple);
  }

  Worker& worker_;
  std::shared_ptr<net::Acceptor> acceptor_;
  Stream stream_;
  gh::H2SessionMemory memory_;  // before session_, which uses it until its destructor
  nghttp2_session* session_ = nullptr;
  asio::steady_timer idle_timer_;
  tcp::endpoint remote_;
  std::string client_ip_;
  std::string initial_;
  std::string wbuf_;
  std::unique_ptr<char[]> buffer_;  // borrowed from the worker while reading (run())
  asio::cancellation_signal cool_;  // cancels run()'s read to park
  std::unordered_map<int32_t, std::shared_ptr<H2Stream>> streams_;
  std::vector<std::shared_ptr<H2Stream>> spare_streams_;
  gh::H2StreamRules rules_;
  bool writing_ = false;
  bool reading_ = false;  // run() waits in its read
  bool hot_ = false;      // that read waits hot with no stream open (in the worker's idle list)
  bool readable_ = false;  // woken from park(): bytes are waiting
  bool parked_ = false;    // in park()'s readiness wait
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace

void startH2Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tcp::socket socket,
                       std::string_view received) {
  std::make_shared<H2Connection<tcp::socket>>(worker, std::move(acceptor), std::move(socket))->start(received);
}

void startH2Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tls::Stream stream) {
  std::make_shared<H2Connection<tls::Stream>>(worker, std::move(acceptor), std::move(stream))->start({});
}

}  // namespace gatehouse::dataplane
