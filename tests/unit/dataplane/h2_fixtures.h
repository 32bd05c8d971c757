#pragma once
// Real HTTP/2 peers for data plane tests, built on libnghttp2 over loopback sockets: an h2c
// backend (prior knowledge) that echoes what it received, and a blocking h2c client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gatehouse::testing {

using H2Fields = std::vector<std::pair<std::string, std::string>>;

inline nghttp2_nv h2nv(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

// Blocking I/O helpers over an nghttp2 session and a connected fd.
inline bool h2Flush(nghttp2_session* session, int fd) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n < 0) return false;
    if (n == 0) return true;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::send(fd, data + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += w;
    }
  }
}

// An h2c backend on 127.0.0.1 (one thread per connection). Every response: 200, header
// "x-backend: <name>", body (none for 204/304)
//   "<name> <:method> <:scheme> <:authority> <:path>\n<field>: <value>\n...\n\n<request body>"
// with the regular fields in the order received. A path containing "/status/<n>" answers with
// status n.
class H2Backend {
 public:
  explicit H2Backend(std::string name) : name_(std::move(name)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { acceptLoop(); });
  }
  ~H2Backend() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads = std::move(threads_);
    }
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  snapshot::Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  std::vector<std::string> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  struct Stream {
    std::string method, scheme, authority, path;
    H2Fields fields;
    std::string body;
    std::string response;
    size_t sent = 0;
  };
  struct Conn {
    H2Backend* self;
    std::map<int32_t, Stream> streams;
  };

  void acceptLoop() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++connections_;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* conn = static_cast<Conn*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS) conn->streams[frame->hd.stream_id];
    return 0;
  }
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* conn = static_cast<Conn*>(user);
    Stream& s = conn->streams[frame->hd.stream_id];
    std::string n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") s.method = v;
    else if (n == ":scheme") s.scheme = v;
    else if (n == ":authority") s.authority = v;
    else if (n == ":path") s.path = v;
    else s.fields.emplace_back(n, v);
    return 0;
  }
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    static_cast<Conn*>(user)->streams[id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static ssize_t readBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    Stream& s = static_cast<Conn*>(user)->streams[id];
    size_t n = std::min(length, s.response.size() - s.sent);
    std::memcpy(buf, s.response.data() + s.sent, n);
    s.sent += n;
    if (s.sent == s.response.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* conn = static_cast<Conn*>(user);
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      return 0;
    }
    Stream& s = conn->streams[frame->hd.stream_id];
    std::string echo = conn->self->name_ + " " + s.method + " " + s.scheme + " " + s.authority + " " + s.path + "\n";
    for (auto& [n, v] : s.fields) echo += n + ": " + v + "\n";
    echo += "\n" + s.body;
    s.response = echo;
    {
      std::lock_guard lock(conn->self->mu_);
      conn->self->received_.push_back(echo);
    }
    ++conn->self->requests_;
    std::string status = "200";
    if (size_t at = s.path.find("/status/"); at != std::string::npos) status = s.path.substr(at + 8);
    const bool bodyless = status == "204" || status == "304";
    if (bodyless) s.response.clear();
    const std::string backend_name = "x-backend", length = std::to_string(s.response.size());
    const std::string status_name = ":status", length_name = "content-length";
    std::vector<nghttp2_nv> nva{h2nv(status_name, status), h2nv(backend_name, conn->self->name_)};
    if (!bodyless) nva.push_back(h2nv(length_name, length));
    nghttp2_data_provider provider{};
    provider.read_callback = &H2Backend::readBody;
    nghttp2_submit_response(session, frame->hd.stream_id, nva.data(), nva.size(), bodyless ? nullptr : &provider);
    return 0;
  }

  void serve(int fd) {
    Conn conn{this, {}};
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &H2Backend::onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &H2Backend::onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2Backend::onData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2Backend::onFrameRecv);
    nghttp2_session* session = nullptr;
    nghttp2_session_server_new(&session, cbs, &conn);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
    uint8_t buf[16384];
    while (h2Flush(session, fd)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (nghttp2_session_mem_recv(session, buf, static_cast<size_t>(n)) < 0) break;
    }
    nghttp2_session_del(session);
    {
      std::lock_guard lock(mu_);
      std::erase(fds_, fd);  // the destructor must not shut down a reused descriptor number
    }
    ::close(fd);
  }

  std::string name_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<std::string> received_;
  std::thread accept_thread_;
};

struct H2Reply {
  int status = 0;
  H2Fields fields;
  std::string body;
  std::string field(const std::string& name) const {
    for (auto& [n, v] : fields) {
      if (n == name) return v;
    }
    return {};
  }
};

// A blocking h2c client with prior knowledge; requests run one after another on one connection.
class H2Client {
 public:
  explicit H2Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &H2Client::onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2Client::onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &H2Client::onClose);
    nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2Client() {
    nghttp2_session_del(session_);
    ::close(fd_);
  }

  // status 0: no response (connection closed, reset or 5 s without progress).
  H2Reply request(const std::string& method, const std::string& path, H2Fields fields = {}, std::string body = {},
                  const std::string& authority = "gateway.example") {
    reply_ = H2Reply{};
    done_ = false;
    body_ = std::move(body);
    body_sent_ = 0;
    const std::string m = ":method", s = ":scheme", a = ":authority", p = ":path", http = "http";
    std::vector<nghttp2_nv> nva{h2nv(m, method), h2nv(s, http), h2nv(a, authority), h2nv(p, path)};
    for (auto& [n, v] : fields) nva.push_back(h2nv(n, v));
    nghttp2_data_provider provider{};
    provider.read_callback = &H2Client::readBody;
    stream_ = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), body_.empty() ? nullptr : &provider,
                                     this);
    uint8_t buf[16384];
    while (!done_ && connected_ && h2Flush(session_, fd_)) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (nghttp2_session_mem_recv(session_, buf, static_cast<size_t>(n)) < 0) break;
    }
    if (!done_) reply_.status = 0;
    return reply_;
  }

 private:
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<H2Client*>(user);
    if (frame->hd.stream_id != self->stream_) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") self->reply_.status = std::stoi(v);
    else self->reply_.fields.emplace_back(n, v);
    return 0;
  }
  static int onData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    auto* self = static_cast<H2Client*>(user);
    if (id == self->stream_) self->reply_.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int onClose(nghttp2_session*, int32_t id, uint32_t error, void* user) {
    auto* self = static_cast<H2Client*>(user);
    if (id != self->stream_) return 0;
    self->done_ = true;
    if (error != 0) self->reply_.status = -static_cast<int>(error);
    return 0;
  }
  static ssize_t readBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source*, void* user) {
    auto* self = static_cast<H2Client*>(user);
    size_t n = std::min(length, self->body_.size() - self->body_sent_);
    std::memcpy(buf, self->body_.data() + self->body_sent_, n);
    self->body_sent_ += n;
    if (self->body_sent_ == self->body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  int fd_ = -1;
  bool connected_ = false;
  nghttp2_session* session_ = nullptr;
  int32_t stream_ = 0;
  bool done_ = false;
  H2Reply reply_;
  std::string body_;
  size_t body_sent_ = 0;
};

}  // namespace gatehouse::testing
