#include "dataplane/http/h2_server_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {
namespace {

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

std::string drain(nghttp2_session* session) {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) return out;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

// A server session on H2SessionMemory answering every request with 200 and `body`, and an
// nghttp2 client, connected in memory.
class SessionPair {
 public:
  explicit SessionPair(std::string body) : body_(std::move(body)) {
    nghttp2_session_callbacks* server_callbacks = nullptr;
    nghttp2_session_callbacks_new(&server_callbacks);
    nghttp2_session_callbacks_set_on_frame_recv_callback(server_callbacks, &SessionPair::onServerFrame);
    server_ = newH2ServerSession(server_callbacks, this, dataplane::Http2Limits{}, 1 << 20, &memory_);
    nghttp2_session_callbacks_del(server_callbacks);

    nghttp2_session_callbacks* client_callbacks = nullptr;
    nghttp2_session_callbacks_new(&client_callbacks);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(client_callbacks, &SessionPair::onClientData);
    nghttp2_session_client_new(&client_, client_callbacks, this);
    nghttp2_session_callbacks_del(client_callbacks);
    nghttp2_submit_settings(client_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~SessionPair() {
    nghttp2_session_del(client_);
    nghttp2_session_del(server_);
  }

  // One GET, exchanged to its end; the response body the client received.
  std::string get() {
    received_.clear();
    std::vector<nghttp2_nv> fields{nv(":method", "GET"), nv(":scheme", "http"), nv(":authority", "a.example"),
                                   nv(":path", "/")};
    nghttp2_submit_request(client_, nullptr, fields.data(), fields.size(), nullptr, nullptr);
    for (int round = 0; round < 8; ++round) {
      const std::string to_server = drain(client_);
      nghttp2_session_mem_recv(server_, reinterpret_cast<const uint8_t*>(to_server.data()), to_server.size());
      const std::string to_client = drain(server_);
      nghttp2_session_mem_recv(client_, reinterpret_cast<const uint8_t*>(to_client.data()), to_client.size());
    }
    return received_;
  }

  nghttp2_session* server() { return server_; }
  H2SessionMemory& memory() { return memory_; }

 private:
  static int onServerFrame(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
    nghttp2_data_provider provider{};
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                                nghttp2_data_source*, void* user) -> ssize_t {
      auto* pair = static_cast<SessionPair*>(user);
      const size_t n = std::min(length, pair->body_.size() - pair->sent_);
      std::memcpy(buf, pair->body_.data() + pair->sent_, n);
      pair->sent_ += n;
      if (pair->sent_ == pair->body_.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        pair->sent_ = 0;
      }
      return static_cast<ssize_t>(n);
    };
    std::vector<nghttp2_nv> fields{nv(":status", "200")};
    nghttp2_submit_response(session, frame->hd.stream_id, fields.data(), fields.size(), &provider);
    return 0;
  }
  static int onClientData(nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len, void* user) {
    static_cast<SessionPair*>(user)->received_.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  std::string body_;
  size_t sent_ = 0;
  std::string received_;
  H2SessionMemory memory_;
  nghttp2_session* server_ = nullptr;
  nghttp2_session* client_ = nullptr;
};

std::string pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

TEST(H2SessionMemoryTest, SessionServesEveryRequestAfterItsIdlePagesWereReleased) {
  const std::string body = pattern(40000);  // three DATA frames: the whole frame buffer written
  SessionPair pair(body);
  EXPECT_EQ(pair.get(), body);
  ASSERT_EQ(nghttp2_session_want_write(pair.server()), 0);
  pair.memory().releaseIdlePages();
  EXPECT_EQ(pair.get(), body);
  pair.memory().releaseIdlePages();
  EXPECT_EQ(pair.get(), body);
  EXPECT_EQ(nghttp2_session_get_last_proc_stream_id(pair.server()), 5);
}

// The session's closed streams are not kept (nghttp2 would keep up to
// SETTINGS_MAX_CONCURRENT_STREAMS of them for the RFC 7540 priority tree).
TEST(H2SessionMemoryTest, ClosedStreamsAreNotKept) {
  SessionPair pair("ok");
  EXPECT_EQ(pair.get(), "ok");
  EXPECT_EQ(nghttp2_session_find_stream(pair.server(), 1), nullptr);
}

}  // namespace
}  // namespace gatehouse::http
