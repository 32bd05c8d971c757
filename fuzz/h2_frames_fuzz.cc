// Downstream HTTP/2 frame path: arbitrary client bytes (connection preface included) into the
// nghttp2 server session Gatehouse configures, with Gatehouse's RFC 9113 checks and request-head
// decoding in the callbacks, and a small response to every complete request so that flow
// control, trailers and the send path run too. The client's windows are consumed as the data
// arrives. Checks: no crash, no leak, the header list bound holds for every request that goes on.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "dataplane/http/h2_server_session.h"

namespace {

using gatehouse::http::H2RequestHead;
using gatehouse::http::H2StreamRules;

struct Connection {
  gatehouse::dataplane::Http2Limits limits;
  H2StreamRules rules;
  std::map<int32_t, H2RequestHead> heads;
  nghttp2_session* session = nullptr;
};

void check(bool ok) {
  if (!ok) std::abort();
}

int onBeginFrame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* user) {
  auto* c = static_cast<Connection*>(user);
  if (uint32_t error = c->rules.beginFrame(session, *hd)) nghttp2_session_terminate_session(session, error);
  return 0;
}

int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* c = static_cast<Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  c->heads[frame->hd.stream_id] = H2RequestHead{};
  c->rules.streamOpened(frame->hd.stream_id);
  return 0;
}

int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen, const uint8_t* value,
             size_t valuelen, uint8_t, void* user) {
  auto* c = static_cast<Connection*>(user);
  auto it = c->heads.find(frame->hd.stream_id);
  if (frame->hd.type != NGHTTP2_HEADERS || it == c->heads.end()) return 0;
  const bool ok = it->second.add(std::string_view(reinterpret_cast<const char*>(name), namelen),
                                 std::string_view(reinterpret_cast<const char*>(value), valuelen),
                                 frame->headers.cat != NGHTTP2_HCAT_REQUEST, c->limits.max_header_list_bytes);
  return ok ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

ssize_t readBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* flags,
                 nghttp2_data_source*, void*) {
  const size_t n = std::min<size_t>(length, 100);
  std::memset(buf, 'x', n);
  *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
  nghttp2_nv trailer{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("grpc-status")),
                     const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("0")), 11, 1, NGHTTP2_NV_FLAG_NONE};
  nghttp2_submit_trailer(session, stream_id, &trailer, 1);
  return static_cast<ssize_t>(n);
}

int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* c = static_cast<Connection*>(user);
  if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
    if (uint32_t error = c->rules.settingsReceived(frame->settings)) nghttp2_session_terminate_session(session, error);
    return 0;
  }
  auto it = c->heads.find(frame->hd.stream_id);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST || it == c->heads.end()) {
    return 0;
  }
  check(it->second.bytes <= c->limits.max_header_list_bytes);
  nghttp2_nv status{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(":status")),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("200")), 7, 3, NGHTTP2_NV_FLAG_NONE};
  nghttp2_data_provider provider{};
  provider.read_callback = &readBody;
  nghttp2_submit_response(session, frame->hd.stream_id, &status, 1, &provider);
  return 0;
}

int onData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t*, size_t len, void*) {
  nghttp2_session_consume(session, stream_id, len);
  return 0;
}

int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
  auto* c = static_cast<Connection*>(user);
  c->heads.erase(stream_id);
  c->rules.streamClosed(stream_id);
  return 0;
}

const nghttp2_session_callbacks* callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_frame_callback(cb, &onBeginFrame);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cb, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &onData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, &onStreamClose);
    return cb;
  }();
  return cbs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Connection c;
  c.session = gatehouse::http::newH2ServerSession(callbacks(), &c, c.limits, 1 << 20);
  check(c.session != nullptr);
  // Fed in pieces of up to 1,000 bytes, as reads would hand them over, with the server's output
  // drained after each (what the write loop does).
  for (size_t at = 0; at < size;) {
    const size_t n = std::min<size_t>(size - at, 1000);
    if (nghttp2_session_mem_recv(c.session, data + at, n) < 0) break;
    at += n;
    const uint8_t* out = nullptr;
    while (nghttp2_session_mem_send(c.session, &out) > 0) {
    }
    if (nghttp2_session_want_read(c.session) == 0 && nghttp2_session_want_write(c.session) == 0) break;
  }
  nghttp2_session_del(c.session);
  return 0;
}
