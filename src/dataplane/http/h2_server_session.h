#pragma once
// The I/O-free half of downstream HTTP/2 (http/h2_connection.cc does the I/O and the exchanges):
// the nghttp2 server session with Gatehouse's limits, the RFC 9113 checks nghttp2 leaves to the
// application, and a request's header fields as they are decoded. Kept apart so that the fuzz
// target fuzz/h2_frames_fuzz.cc runs this very code on arbitrary client bytes.
#include <nghttp2/nghttp2.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/message.h"
#include "dataplane/options.h"

namespace gatehouse::http {

// The allocator of one session (nghttp2_mem, which must outlive it), which lets an idle
// connection give two of its session's pages back to the kernel (releaseIdlePages()):
// - nghttp2 serialises every outgoing frame into a 16,394-byte chunk it keeps for the session's
//   whole life (up to five for a large header block), whose bytes are scratch once
//   nghttp2_session_mem_send returned them;
// - its stream map is a zeroed 4,096-byte table (256 buckets), all zeros again when no stream is
//   open.
// Both are allocated page-aligned here; a released page faults in again, zeroed, when next used.
class H2SessionMemory {
 public:
  H2SessionMemory();
  nghttp2_mem* mem() { return &mem_; }
  // Only while nghttp2 wants to write nothing and no nghttp2 call is under way.
  void releaseIdlePages();

 private:
  static void* allocate(size_t size, void* self);
  static void deallocate(void* ptr, void* self);
  static void* allocateZeroed(size_t count, size_t size, void* self);
  static void* reallocate(void* ptr, size_t size, void* self);
  void forget(void* ptr);

  nghttp2_mem mem_;
  std::array<void*, 5> frame_buffers_{};  // nghttp2's NGHTTP2_FRAMEBUF_MAX_NUM
  std::array<void*, 2> zeroed_pages_{};
};

// A server session that announces and enforces `limits` (concurrent streams, header list size,
// reset rate, CONTINUATIONs), leaves window updates to the application (nghttp2_session_consume:
// bytes re-open the client's windows only once they were taken) and has a connection receive
// window of `connection_window`. Its SETTINGS are queued. nullptr when out of memory. `memory`:
// nullptr for nghttp2's default allocator.
nghttp2_session* newH2ServerSession(const nghttp2_session_callbacks* callbacks, void* user,
                                    const dataplane::Http2Limits& limits, int32_t connection_window,
                                    H2SessionMemory* memory = nullptr);

// RFC 9113 checks a server makes on its client's frames where nghttp2 does not (or only resets
// the stream). Each returns the connection error to end the session with, or 0 (NO_ERROR).
class H2StreamRules {
 public:
  // From on_begin_frame, before the frame is processed. RFC 9113 5.1.1: HEADERS opening a stream
  // must use an id above every id the client used; nghttp2 ignores HEADERS on a lower id it no
  // longer knows. Exempt: the last 32 streams closed (frames may still be in flight after a
  // reset or an early response, RFC 9113 5.4.2; nghttp2 then ignores them).
  uint32_t beginFrame(nghttp2_session* session, const nghttp2_frame_hd& hd);
  // From on_frame_recv for a SETTINGS frame (not an ACK). RFC 9113 6.9.2: a
  // SETTINGS_INITIAL_WINDOW_SIZE change that takes a stream's send window past 2^31-1 is a
  // connection error FLOW_CONTROL_ERROR.
  uint32_t settingsReceived(const nghttp2_settings& settings) const;

  void streamOpened(int32_t id) { open_.push_back(id); }
  void streamClosed(int32_t id);

 private:
  std::vector<int32_t> open_;  // at most SETTINGS_MAX_CONCURRENT_STREAMS
  int32_t highest_stream_id_ = 0;
  std::array<int32_t, 32> recently_closed_{};
  size_t next_closed_slot_ = 0;
  // The windows before the SETTINGS frame being processed applies.
  int64_t initial_window_before_ = NGHTTP2_INITIAL_WINDOW_SIZE;
  int64_t largest_window_before_ = 0;
};

// One request's header section (and trailers) as nghttp2 decodes its fields.
struct H2RequestHead {
  Request request;  // :method, :path, :authority (or host), fields for the upstream
  std::string cookies;  // RFC 9113 8.2.3: crumbs joined with "; " for an HTTP/1.1 hop
  std::optional<uint64_t> content_length;  // nghttp2 checks that the DATA frames add up to it
  Headers trailers;
  size_t bytes = 0;  // name + value + 32 per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts

  // False once the fields exceed `max_bytes` (the stream is to be reset). Connection-specific
  // fields are dropped, te kept only as "trailers", :scheme ignored (the gateway knows it).
  bool add(std::string_view name, std::string_view value, bool trailer, size_t max_bytes);
};

}  // namespace gatehouse::http
