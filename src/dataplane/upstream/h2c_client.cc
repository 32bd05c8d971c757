#include "dataplane/upstream/h2c_client.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "dataplane/event/worker.h"
#include "dataplane/http/h2_data_frame.h"
#include "dataplane/upstream/connector.h"
#include "dataplane/upstream/streaming.h"

namespace gatehouse::dataplane::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadBuffer = 16 * 1024;
constexpr size_t kMaxWriteBatch = 64 * 1024;
// Per-stream receive window: what a streamed exchange's response may hold in memory at most
// (its bytes are consumed as the downstream client takes them).
constexpr int32_t kStreamWindow = 256 << 10;
constexpr int32_t kConnectionWindow = 16 << 20;  // connection receive window
// Request body bytes a streamed exchange queues for its stream's window before writeBody() waits.
constexpr size_t kMaxQueuedBody = 64 << 10;
// Streams per session (HAProxy's default for its backend connections, tune.h2.max-concurrent-streams).
constexpr size_t kMaxStreamsPerSession = 100;

std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

nghttp2_nv field(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

class H2cSession : public std::enable_shared_from_this<H2cSession> {
 public:
  H2cSession(Worker& worker, snapshot::Endpoint endpoint, tls::UpstreamContextPtr tls)
      : worker_(worker),
        endpoint_(std::move(endpoint)),
        tls_(std::move(tls)),
        socket_(worker.io()),
        ready_(worker.io()),
        idle_timer_(worker.io()) {
    ready_.expires_at(Clock::time_point::max());
  }
  ~H2cSession() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  void start() {
    asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->run(); }, asio::detached);
  }
  bool usable() const { return state_ != State::Dead && !goaway_ && !exhausted_ && !write_failed_; }
  // Usable, with fewer streams (and requests waiting for the connection) than its limit.
  bool hasRoom() const {
    if (!usable()) return false;
    size_t limit = kMaxStreamsPerSession;
    if (session_ != nullptr) {
      limit = std::min<size_t>(limit, nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
    }
    return calls_.size() + waiting_ < limit;
  }

  asio::awaitable<Outcome> exchange(const BufferedRequest& request, BufferedResponse& response,
                                    const ExchangeOptions& options, bool& nothing_received);
  asio::awaitable<Outcome> openStream(const StreamedRequest& request, const ExchangeOptions& options,
                                      std::shared_ptr<StreamingExchange>& exchange);

 private:
  friend class H2cStreaming;
  enum class State : uint8_t { Connecting, Ready, Dead };

  // One request/response in flight. Lives in the frame of exchange(); the session finds it by
  // stream id only (never through nghttp2's stream user data), and exchange() unregisters it
  // before it goes, so callbacks never see a dangling call.
  struct Call {
    explicit Call(asio::io_context& io) : signal(io), write_signal(io) {}
    const BufferedRequest* request = nullptr;  // buffered: the body to send
    BufferedResponse* response = nullptr;
    const ExchangeOptions* options = nullptr;  // buffered only
    size_t body_sent = 0;
    asio::steady_timer signal;        // cancelled when done (streamed: also on head and data)
    asio::steady_timer write_signal;  // streamed: cancelled when `out` was sent, and when done
    bool done = false;
    bool final_head = false;
    bool received = false;  // any frame of the response arrived
    Outcome outcome = ProxyError::of(ErrorKind::BadResponse);
    // Streamed (H2cStreaming): the request body waiting for the stream's window, and the
    // response body received and not yet consumed (its bytes still hold the window).
    bool streamed = false;
    bool remote_ended = false;  // END_STREAM came (the stream closes only once the request ended too)
    std::string out;
    bool out_ended = false;
    bool out_deferred = false;  // nghttp2 waits for nghttp2_session_resume_data
    http::Headers out_trailers;
    std::string in;
    std::optional<uint64_t> content_length;  // the final head's content-length
  };

  asio::awaitable<void> run();
  void flush();
  asio::awaitable<void> writeLoop();
  void die();
  void complete(Call& call, Outcome outcome) {
    if (call.done) return;
    call.done = true;
    call.outcome = outcome;
    call.signal.cancel();
    call.write_signal.cancel();
  }
  Call* find(int32_t stream_id) {
    auto it = calls_.find(stream_id);
    return it == calls_.end() ? nullptr : it->second;
  }
  void armIdle();

  // ---- nghttp2 callbacks ----
  static const nghttp2_session_callbacks* callbacks();
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<H2cSession*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Call* call = self->find(frame->hd.stream_id);
    if (call == nullptr) return 0;
    call->received = true;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (call->final_head) {  // trailers (nghttp2 refuses pseudo-headers in them)
      if (!isConnectionSpecific(n)) call->response->trailers.add(std::string(n), std::string(v));
    } else if (n == ":status") {
      uint16_t status = 0;
      std::from_chars(v.data(), v.data() + v.size(), status);
      call->response->status = status;
    } else if (!n.empty() && n[0] != ':' && !isConnectionSpecific(n)) {
      call->response->headers.add(std::string(n), std::string(v));
    } else if (n == "content-length") {  // nghttp2 checks it against the DATA received
      uint64_t length = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
      if (ec == std::errc() && end == v.data() + v.size()) call->content_length = length;
    }
    return 0;
  }
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2cSession*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Call* call = self->find(frame->hd.stream_id);
    if (call == nullptr) return 0;
    if (call->streamed && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      call->remote_ended = true;
      call->signal.cancel();
    }
    if (frame->hd.type != NGHTTP2_HEADERS || call->final_head) return 0;
    if (call->response->status >= 200) {
      call->final_head = true;
      if (call->streamed) call->signal.cancel();
    } else {  // 1xx: the final head follows
      call->response->status = 0;
      call->response->headers = http::Headers{};
      call->content_length.reset();
    }
    return 0;
  }
  static int onData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                    void* user) {
    auto* self = static_cast<H2cSession*>(user);
    Call* call = self->find(stream_id);
    if (call == nullptr || !call->streamed) nghttp2_session_consume(session, stream_id, len);
    if (call == nullptr) return 0;
    call->received = true;
    if (call->streamed) {
      call->in.append(reinterpret_cast<const char*>(data), len);
      call->signal.cancel();
      return 0;
    }
    if (!call->options->keep_body) return 0;
    if (call->response->body.size() + len > call->options->max_body) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      self->complete(*call, ProxyError::of(ErrorKind::ResponseTooLarge));
      return 0;
    }
    call->response->body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* self = static_cast<H2cSession*>(user);
    Call* call = self->find(stream_id);
    if (call == nullptr) return 0;
    self->complete(*call, error_code == NGHTTP2_NO_ERROR && call->final_head ? Outcome{} : ProxyError::of(ErrorKind::BadResponse));
    return 0;
  }
  // The request body a call still has to send from, and how much of it was sent.
  static std::string_view unsent(const Call& call) {
    const std::string& body = call.streamed ? call.out : call.request->body;
    return std::string_view(body).substr(call.body_sent);
  }

  // How much of the call's request body the next DATA frame carries (at most `length`), and
  // whether it ends the stream. The bytes go straight from the body into the write batch
  // (sendData(), NGHTTP2_DATA_FLAG_NO_COPY): one copy less than through nghttp2's frame buffer.
  static ssize_t readBody(nghttp2_session*, int32_t stream_id, uint8_t*, size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2cSession*>(user);
    Call* call = self->find(stream_id);
    if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t left = unsent(*call).size();
    const size_t n = std::min(length, left);
    if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (n < left) return static_cast<ssize_t>(n);
    if (!call->streamed || call->out_ended) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (call->streamed && call->out_trailers.size() > 0) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        self->submitTrailers(stream_id, call->out_trailers);
      }
    } else if (n == 0) {
      call->out_deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
  }

  // A DATA frame readBody() sized: its header and `length` body bytes appended to the write batch,
  // unless the batch is full (nghttp2 asks again once it was written). nghttp2 calls it only
  // while the stream is open; a call no longer registered has its stream reset.
  static int sendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* header, size_t length,
                      nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2cSession*>(user);
    if (self->wbuf_.size() >= kMaxWriteBatch) return NGHTTP2_ERR_WOULDBLOCK;
    Call* call = self->find(frame->hd.stream_id);
    if (call == nullptr || unsent(*call).size() < length) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    http::appendDataFrame(self->wbuf_, *frame, header, unsent(*call).substr(0, length));
    call->body_sent += length;
    if (call->streamed && call->body_sent == call->out.size()) {
      call->out.clear();
      call->body_sent = 0;
      call->write_signal.cancel();  // the writer may queue more
    }
    return 0;
  }
  void submitTrailers(int32_t stream_id, const http::Headers& trailers) {
    std::vector<std::string> names;
    names.reserve(trailers.size());
    for (const auto& [name, value] : trailers.fields()) names.push_back(lowerCase(name));
    std::vector<nghttp2_nv> nva;
    nva.reserve(names.size());
    for (size_t i = 0; i < names.size(); ++i) nva.push_back(field(names[i], trailers.fields()[i].second));
    nghttp2_submit_trailer(session_, stream_id, nva.data(), nva.size());  // copies the fields
  }
  // The request's pseudo-headers and fields (names lower-cased into `names`, which must outlive
  // the submit).
  std::vector<nghttp2_nv> requestFields(const BufferedRequest& request, std::vector<std::string>& names,
                                        const std::string& content_length, bool has_body);

  Worker& worker_;
  const snapshot::Endpoint endpoint_;
  // Kept for the handshake, which may outlive the request that opened the session.
  const tls::UpstreamContextPtr tls_;
  Connection socket_;
  nghttp2_session* session_ = nullptr;
  asio::steady_timer ready_;  // cancelled once connected (or failed)
  asio::steady_timer idle_timer_;
  std::unordered_map<int32_t, Call*> calls_;
  size_t waiting_ = 0;  // requests waiting for the connection (they count against the stream limit)
  std::string wbuf_;
  State state_ = State::Connecting;
  // Refused, unreachable or the connect timeout (503); not a failed TLS handshake (502).
  bool connect_failed_ = false;
  bool writing_ = false;
  bool goaway_ = false;
  bool exhausted_ = false;
  // A write failed: the peer is gone, but what it sent before may still be unread. The read
  // loop takes it (a response head and body that came before the close reach their streams)
  // and ends the session at the end of the stream.
  bool write_failed_ = false;
};

const nghttp2_session_callbacks* H2cSession::callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_header_callback(c, &H2cSession::onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, &H2cSession::onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &H2cSession::onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, &H2cSession::onStreamClose);
    nghttp2_session_callbacks_set_send_data_callback(c, &H2cSession::sendData);
    return c;
  }();
  return cbs;
}

asio::awaitable<void> H2cSession::run() {
  auto self = shared_from_this();
  error_code ec;
  {
    const auto connect_by = Clock::now() + worker_.options().timeouts.upstream_connect;
    SocketDeadline deadline(worker_.io(), socket_.socket(), connect_by);
    ec = co_await connect(socket_, endpoint_, tls_.get(), tls::UpstreamContext::Alpn::H2);
  }
  if (!ec) {
    // Received DATA is consumed (and the window re-opened) by the application: at once for a
    // buffered exchange, as the downstream client takes it for a streamed one.
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    nghttp2_option_set_no_auto_window_update(option, 1);
    if (nghttp2_session_client_new2(&session_, callbacks(), this, option) != 0) ec = asio::error::no_memory;
    nghttp2_option_del(option);
  }
  if (ec) {
    connect_failed_ = ec != handshakeFailed();
    die();
    co_return;
  }
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                       {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  state_ = State::Ready;
  ready_.cancel();
  flush();
  if (calls_.empty()) armIdle();
  auto buffer = std::make_unique<uint8_t[]>(kReadBuffer);
  for (;;) {
    auto [rec, n] = co_await socket_.async_read_some(asio::buffer(buffer.get(), kReadBuffer), kTuple);
    if (rec) break;
    if (nghttp2_session_mem_recv(session_, buffer.get(), n) < 0) break;
    flush();
    if (goaway_ && calls_.empty()) break;
  }
  die();
}

void H2cSession::die() {
  if (state_ == State::Dead) return;
  state_ = State::Dead;
  error_code ignored;
  socket_.close(ignored);
  idle_timer_.cancel();
  ready_.cancel();
  for (auto& [id, call] : calls_) complete(*call, ProxyError::of(ErrorKind::BadResponse));
}

void H2cSession::armIdle() {
  idle_timer_.expires_after(worker_.options().timeouts.upstream_idle);
  idle_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    // Closing the socket also ends the read loop.
    if (auto self = weak.lock(); self && self->calls_.empty()) self->die();
  });
}

void H2cSession::flush() {
  if (writing_ || write_failed_ || state_ != State::Ready || session_ == nullptr) return;
  if (nghttp2_session_want_write(session_) == 0) return;
  writing_ = true;
  asio::co_spawn(worker_.io(), [self = shared_from_this()] { return self->writeLoop(); }, asio::detached);
}

asio::awaitable<void> H2cSession::writeLoop() {
  auto self = shared_from_this();
  // Let what was queued behind this start add its frames first: a request whose body a
  // coroutine posted next goes out as HEADERS and DATA in one write.
  co_await asio::post(worker_.io(), asio::use_awaitable);
  for (;;) {
    wbuf_.clear();
    while (wbuf_.size() < kMaxWriteBatch && state_ != State::Dead) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        error_code ignored;
        socket_.cancel(ignored);  // the read loop ends and the session dies
        break;
      }
      if (n == 0) break;
      wbuf_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (wbuf_.empty() || state_ == State::Dead) break;
    auto [ec, written] = co_await asio::async_write(socket_, asio::buffer(wbuf_), kTuple);
    if (ec) {
      write_failed_ = true;
      break;
    }
  }
  writing_ = false;
}

asio::awaitable<Outcome> H2cSession::exchange(const BufferedRequest& request, BufferedResponse& response,
                                              const ExchangeOptions& options, bool& nothing_received) {
  auto self = shared_from_this();
  nothing_received = true;
  if (state_ == State::Connecting) {
    ++waiting_;
    co_await ready_.async_wait(kTuple);
    --waiting_;
  }
  if (state_ != State::Ready || !usable()) co_return connect_failed_ ? ProxyError::of(ErrorKind::ConnectFailed) : ProxyError::of(ErrorKind::BadResponse);
  if (Clock::now() >= options.deadline) co_return ProxyError::of(ErrorKind::TimedOut);

  std::vector<std::string> names;
  const std::string length = std::to_string(request.body.size());
  std::vector<nghttp2_nv> nva = requestFields(request, names, length, request.has_body || !request.body.empty());

  Call call(worker_.io());
  call.request = &request;
  call.response = &response;
  call.options = &options;
  call.signal.expires_at(options.deadline);
  response = BufferedResponse{};
  nghttp2_data_provider provider{};
  provider.read_callback = &H2cSession::readBody;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                            request.body.empty() ? nullptr : &provider, nullptr);
  if (id < 0) {
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) exhausted_ = true;
    co_return ProxyError::of(ErrorKind::BadResponse);
  }
  calls_[id] = &call;
  struct Unregister {
    H2cSession& session;
    int32_t id;
    ~Unregister() {
      session.calls_.erase(id);
      if (session.calls_.empty() && session.state_ == State::Ready) session.armIdle();
    }
  } unregister{*this, id};
  idle_timer_.cancel();
  flush();
  co_await call.signal.async_wait(kTuple);
  nothing_received = !call.received;
  if (!call.done) {  // the deadline passed first
    if (state_ == State::Ready) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      flush();
    }
    co_return ProxyError::of(ErrorKind::TimedOut);
  }
  co_return call.outcome;
}

std::vector<nghttp2_nv> H2cSession::requestFields(const BufferedRequest& request, std::vector<std::string>& names,
                                                 const std::string& content_length, bool has_body) {
  // Names are lower-cased copies that live until submit returns (nghttp2 copies them).
  names.reserve(request.headers.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(request.headers.size() + 5);
  nva.push_back(field(":method", request.method));
  nva.push_back(field(":scheme", tls_ ? "https" : "http"));
  nva.push_back(field(":authority", request.authority));
  nva.push_back(field(":path", request.path));
  for (const auto& [name, value] : request.headers.fields()) {
    const bool te_trailers = http::equalsIgnoreCase(name, "te") && http::equalsIgnoreCase(value, "trailers");
    if (isConnectionSpecific(name) && !te_trailers) continue;
    names.push_back(lowerCase(name));
  }
  size_t next_name = 0;
  for (const auto& [name, value] : request.headers.fields()) {
    const bool te_trailers = http::equalsIgnoreCase(name, "te") && http::equalsIgnoreCase(value, "trailers");
    if (isConnectionSpecific(name) && !te_trailers) continue;
    nva.push_back(field(names[next_name++], value));
  }
  if (has_body && !content_length.empty()) nva.push_back(field("content-length", content_length));
  return nva;
}

// ---- streamed exchanges ----------------------------------------------------------------------

// One stream of an H2cSession, driven by the two coroutines of streaming.h. The Call lives here
// and is registered with the session until this goes.
class H2cStreaming final : public StreamingExchange {
 public:
  H2cStreaming(Worker& worker, std::shared_ptr<H2cSession> session, Clock::time_point deadline)
      : worker_(worker), session_(std::move(session)), call_(worker.io()), deadline_(deadline) {
    call_.streamed = true;
    call_.response = &response_;
  }
  ~H2cStreaming() override {
    if (id_ < 0) return;
    H2cSession& session = *session_;
    if (session.state_ == H2cSession::State::Ready) {
      if (!call_.done) nghttp2_submit_rst_stream(session.session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
      // Bytes received and never taken still hold the connection's window.
      if (!call_.in.empty()) nghttp2_session_consume(session.session_, id_, call_.in.size());
      session.flush();
    }
    session.calls_.erase(id_);
    if (session.calls_.empty() && session.state_ == H2cSession::State::Ready) session.armIdle();
  }

  asio::awaitable<Outcome> open(const StreamedRequest& request);

  void cancel() override {
    cancelled_ = true;
    if (call_.done) return;
    if (id_ >= 0 && session_->state_ == H2cSession::State::Ready) {
      nghttp2_submit_rst_stream(session_->session_, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
      session_->flush();
    }
    session_->complete(call_, ProxyError::of(ErrorKind::BadResponse));
  }

  asio::awaitable<bool> writeBody(const std::string& data) override;

  asio::awaitable<bool> endBody(http::Headers trailers) override;

  asio::awaitable<Outcome> readHead(StreamedResponseHead& head) override;

  asio::awaitable<Outcome> readBody(std::string& out, size_t max, bool& done, http::Headers& trailers) override;

 private:
  // False when the deadline (or the idle time) passed first.
  asio::awaitable<bool> wait(asio::steady_timer& signal);

  void sendPending() {
    H2cSession& session = *session_;
    if (session.state_ != H2cSession::State::Ready) return;
    if (call_.out_deferred) {
      call_.out_deferred = false;
      nghttp2_session_resume_data(session.session_, id_);
    }
    session.flush();
  }

  Worker& worker_;
  std::shared_ptr<H2cSession> session_;
  H2cSession::Call call_;
  BufferedResponse response_;
  const Clock::time_point deadline_;
  int32_t id_ = -1;
  bool cancelled_ = false;
};

asio::awaitable<Outcome> H2cStreaming::open(const StreamedRequest& request) {
  H2cSession& session = *session_;
  if (session.state_ == H2cSession::State::Connecting) {
    ++session.waiting_;
    co_await session.ready_.async_wait(kTuple);
    --session.waiting_;
  }
  if (session.state_ != H2cSession::State::Ready || !session.usable()) {
    co_return session.connect_failed_ ? ProxyError::of(ErrorKind::ConnectFailed) : ProxyError::of(ErrorKind::BadResponse);
  }
  std::vector<std::string> names;
  const std::string length = request.content_length ? std::to_string(*request.content_length) : std::string();
  std::vector<nghttp2_nv> nva = session.requestFields(request.head, names, length, request.body_follows);
  nghttp2_data_provider provider{};
  provider.read_callback = &H2cSession::readBody;
  call_.out_ended = !request.body_follows;
  const int32_t id = nghttp2_submit_request(session.session_, nullptr, nva.data(), nva.size(),
                                            request.body_follows ? &provider : nullptr, nullptr);
  if (id < 0) {
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) session.exhausted_ = true;
    co_return ProxyError::of(ErrorKind::BadResponse);
  }
  id_ = id;
  session.calls_[id] = &call_;
  session.idle_timer_.cancel();
  session.flush();
  co_return std::nullopt;
}

// writeBody() and readHead() keep their waits in flat loops: GCC 12.2 laid out the coroutine
// frames of an earlier form (`if (!co_await wait(...)) co_return ...;` inside the loop) 8 bytes off
// from where asio finds their promise, and they crashed on their first resume (objdump showed the
// ramp storing the resume pointer at frame + 8).
asio::awaitable<bool> H2cStreaming::writeBody(const std::string& data) {
  bool in_time = !call_.done && !cancelled_;
  if (in_time) {
    call_.out.append(data);
    sendPending();
  }
  while (in_time && call_.out.size() > kMaxQueuedBody && !call_.done) in_time = co_await wait(call_.write_signal);
  const bool taken = in_time && (!call_.done || !call_.outcome);
  co_return taken;
}

asio::awaitable<bool> H2cStreaming::endBody(http::Headers trailers) {
  if (call_.done || cancelled_) co_return !call_.outcome;
  call_.out_ended = true;
  call_.out_trailers = std::move(trailers);
  sendPending();
  co_return true;
}

asio::awaitable<Outcome> H2cStreaming::readHead(StreamedResponseHead& head) {
  bool in_time = true;
  while (in_time && !call_.final_head && !call_.done) in_time = co_await wait(call_.signal);
  Outcome outcome;
  if (!in_time) {
    outcome = ProxyError::of(ErrorKind::TimedOut);
  } else if (!call_.final_head) {
    outcome = call_.outcome ? call_.outcome : ProxyError::of(ErrorKind::BadResponse);
  }
  if (outcome) co_return outcome;
  head.status = response_.status;
  head.headers = std::move(response_.headers);
  head.content_length = call_.content_length;
  head.ended = call_.remote_ended && call_.in.empty() && response_.trailers.size() == 0;
  co_return std::nullopt;
}

asio::awaitable<Outcome> H2cStreaming::readBody(std::string& out, size_t max, bool& done, http::Headers& trailers) {
  done = false;
  while (call_.in.empty() && !call_.done && !call_.remote_ended) {
    if (!co_await wait(call_.signal)) co_return ProxyError::of(ErrorKind::TimedOut);
  }
  const size_t take = std::min(max, call_.in.size());
  if (out.empty() && take == call_.in.size()) {
    out.swap(call_.in);  // the usual case, without a copy; each side keeps the other's capacity
  } else {
    out.append(call_.in, 0, take);
    call_.in.erase(0, take);
  }
  if (take > 0 && session_->state_ == H2cSession::State::Ready) {
    nghttp2_session_consume(session_->session_, id_, take);
    session_->flush();
  }
  if (!call_.in.empty() || !(call_.done || call_.remote_ended)) co_return std::nullopt;
  // Closed without the upstream's END_STREAM: reset or lost mid-response.
  if (!call_.remote_ended) co_return call_.outcome ? call_.outcome : ProxyError::of(ErrorKind::BadResponse);
  done = true;
  trailers = std::move(response_.trailers);
  co_return std::nullopt;
}

asio::awaitable<bool> H2cStreaming::wait(asio::steady_timer& signal) {
  const Clock::time_point until = std::min(deadline_, Clock::now() + worker_.options().timeouts.body_idle);
  signal.expires_at(until);
  auto [ec] = co_await signal.async_wait(kTuple);
  co_return ec || Clock::now() < until;
}

asio::awaitable<Outcome> H2cSession::openStream(const StreamedRequest& request, const ExchangeOptions& options,
                                                std::shared_ptr<StreamingExchange>& exchange) {
  auto opened = std::make_shared<H2cStreaming>(worker_, shared_from_this(), options.deadline);
  const Outcome outcome = co_await opened->open(request);
  if (!outcome) exchange = std::move(opened);
  co_return outcome;
}

// ---- H2cClients --------------------------------------------------------------------------------

H2cClients::H2cClients(Worker& worker) : worker_(worker) {}
H2cClients::~H2cClients() = default;

std::shared_ptr<H2cSession> H2cClients::sessionFor(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                                   bool& fresh) {
  std::string key = endpoint.ip + ":" + std::to_string(endpoint.port);
  if (tls != nullptr) key.append("/").append(std::to_string(tls->id()));
  std::vector<std::shared_ptr<H2cSession>>& sessions = sessions_[key];
  // Sessions that take no new streams leave the list (their exchanges keep them alive).
  std::erase_if(sessions, [](const std::shared_ptr<H2cSession>& session) { return !session->usable(); });
  for (const std::shared_ptr<H2cSession>& session : sessions) {
    if (session->hasRoom()) {
      fresh = false;
      return session;
    }
  }
  auto session =
      std::make_shared<H2cSession>(worker_, endpoint, tls != nullptr ? tls->shared_from_this() : nullptr);
  session->start();
  ++opened_;
  fresh = true;
  sessions.push_back(session);
  return session;
}

asio::awaitable<Outcome> H2cClients::exchange(const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
                                              const BufferedRequest& request, BufferedResponse& response,
                                              ExchangeOptions options) {
  for (int attempt = 0;; ++attempt) {
    bool fresh = false;
    std::shared_ptr<H2cSession> session = sessionFor(endpoint, tls, fresh);
    bool nothing_received = true;
    Outcome outcome = co_await session->exchange(request, response, options, nothing_received);
    if (!outcome || outcome->kind == ErrorKind::TimedOut || outcome->kind == ErrorKind::ResponseTooLarge) co_return outcome;
    if (!fresh && nothing_received && attempt == 0) continue;
    co_return outcome;
  }
}

asio::awaitable<Outcome> H2cClients::openStreaming(const snapshot::Endpoint& endpoint,
                                                   const tls::UpstreamContext* tls, const StreamedRequest& request,
                                                   ExchangeOptions options,
                                                   std::shared_ptr<StreamingExchange>& exchange) {
  bool fresh = false;
  std::shared_ptr<H2cSession> session = sessionFor(endpoint, tls, fresh);
  co_return co_await session->openStream(request, options, exchange);
}

size_t H2cClients::sessionCount() const {
  size_t n = 0;
  for (const auto& [key, sessions] : sessions_) {
    for (const auto& session : sessions) n += session->usable() ? 1 : 0;
  }
  return n;
}

}  // namespace gatehouse::dataplane::upstream
