#include "dataplane/http/h2_server_session.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <sys/mman.h>

#include "dataplane/http/connection_fields.h"

namespace gatehouse::http {

namespace {
// NGHTTP2_FRAMEBUF_CHUNKLEN (nghttp2_session.h): frame header, padding length, largest payload.
constexpr size_t kFrameBufferChunk = 9 + 1 + 16384;
constexpr size_t kPage = 4096;
constexpr size_t kFrameBufferPages = (kFrameBufferChunk + kPage - 1) / kPage * kPage;
}  // namespace

H2SessionMemory::H2SessionMemory()
    : mem_{this, &H2SessionMemory::allocate, &H2SessionMemory::deallocate, &H2SessionMemory::allocateZeroed,
           &H2SessionMemory::reallocate} {}

void* H2SessionMemory::allocate(size_t size, void* self) {
  auto* memory = static_cast<H2SessionMemory*>(self);
  if (size != kFrameBufferChunk) return std::malloc(size);
  for (void*& slot : memory->frame_buffers_) {
    if (slot != nullptr) continue;
    slot = std::aligned_alloc(kPage, kFrameBufferPages);
    return slot;
  }
  return std::malloc(size);
}

void* H2SessionMemory::allocateZeroed(size_t count, size_t size, void* self) {
  auto* memory = static_cast<H2SessionMemory*>(self);
  if (count * size != kPage) return std::calloc(count, size);
  for (void*& slot : memory->zeroed_pages_) {
    if (slot != nullptr) continue;
    slot = std::aligned_alloc(kPage, kPage);
    if (slot != nullptr) std::memset(slot, 0, kPage);
    return slot;
  }
  return std::calloc(count, size);
}

void H2SessionMemory::deallocate(void* ptr, void* self) {
  static_cast<H2SessionMemory*>(self)->forget(ptr);
  std::free(ptr);
}

void* H2SessionMemory::reallocate(void* ptr, size_t size, void* self) {
  if (ptr == nullptr) return allocate(size, self);  // how nghttp2_buf_init2 allocates its chunks
  static_cast<H2SessionMemory*>(self)->forget(ptr);
  return std::realloc(ptr, size);
}

void H2SessionMemory::forget(void* ptr) {
  if (ptr == nullptr) return;
  for (void*& slot : frame_buffers_) {
    if (slot == ptr) slot = nullptr;
  }
  for (void*& slot : zeroed_pages_) {
    if (slot == ptr) slot = nullptr;
  }
}

void H2SessionMemory::releaseIdlePages() {
  for (void* buffer : frame_buffers_) {
    if (buffer != nullptr) ::madvise(buffer, kFrameBufferPages, MADV_DONTNEED);
  }
  // A page that holds only zeros reads the same after MADV_DONTNEED.
  static const std::array<char, kPage> kZeros{};
  for (void* page : zeroed_pages_) {
    if (page != nullptr && std::memcmp(page, kZeros.data(), kPage) == 0) ::madvise(page, kPage, MADV_DONTNEED);
  }
}

nghttp2_session* newH2ServerSession(const nghttp2_session_callbacks* callbacks, void* user,
                                    const dataplane::Http2Limits& limits, int32_t connection_window,
                                    H2SessionMemory* memory) {
  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) return nullptr;
  nghttp2_option_set_stream_reset_rate_limit(option, limits.reset_burst, limits.resets_per_second);
  nghttp2_option_set_max_continuations(option, limits.max_continuations);
  nghttp2_option_set_no_auto_window_update(option, 1);
  // nghttp2 keeps up to SETTINGS_MAX_CONCURRENT_STREAMS closed streams (~350 bytes each) for the
  // RFC 7540 priority tree, which a proxy does not use: a busy connection kept ~35 KB after its
  // streams ended.
  nghttp2_option_set_no_closed_streams(option, 1);
  nghttp2_session* session = nullptr;
  const int created = nghttp2_session_server_new3(&session, callbacks, user, option,
                                                  memory != nullptr ? memory->mem() : nullptr);
  nghttp2_option_del(option);
  if (created != 0) return nullptr;
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
                                       {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits.max_header_list_bytes}};
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, connection_window);
  return session;
}

uint32_t H2StreamRules::beginFrame(nghttp2_session* session, const nghttp2_frame_hd& hd) {
  if (hd.type == NGHTTP2_HEADERS && (hd.stream_id & 1) != 0) {
    if (hd.stream_id < highest_stream_id_ && nghttp2_session_find_stream(session, hd.stream_id) == nullptr &&
        std::find(recently_closed_.begin(), recently_closed_.end(), hd.stream_id) == recently_closed_.end()) {
      return NGHTTP2_PROTOCOL_ERROR;
    }
    highest_stream_id_ = std::max(highest_stream_id_, hd.stream_id);
  } else if (hd.type == NGHTTP2_SETTINGS && (hd.flags & NGHTTP2_FLAG_ACK) == 0) {
    initial_window_before_ = nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE);
    largest_window_before_ = 0;
    for (int32_t id : open_) {
      largest_window_before_ =
          std::max<int64_t>(largest_window_before_, nghttp2_session_get_stream_remote_window_size(session, id));
    }
  }
  return NGHTTP2_NO_ERROR;
}

uint32_t H2StreamRules::settingsReceived(const nghttp2_settings& settings) const {
  int64_t initial = initial_window_before_;
  int64_t largest = largest_window_before_;
  for (size_t i = 0; i < settings.niv; ++i) {
    if (settings.iv[i].settings_id != NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE) continue;
    largest += static_cast<int64_t>(settings.iv[i].value) - initial;
    initial = settings.iv[i].value;
    if (largest > std::numeric_limits<int32_t>::max()) return NGHTTP2_FLOW_CONTROL_ERROR;
  }
  return NGHTTP2_NO_ERROR;
}

void H2StreamRules::streamClosed(int32_t id) {
  recently_closed_[next_closed_slot_] = id;
  next_closed_slot_ = (next_closed_slot_ + 1) % recently_closed_.size();
  if (auto it = std::find(open_.begin(), open_.end(), id); it != open_.end()) {
    *it = open_.back();
    open_.pop_back();
  }
}

bool H2RequestHead::add(std::string_view name, std::string_view value, bool trailer, size_t max_bytes) {
  bytes += name.size() + value.size() + 32;
  if (bytes > max_bytes) return false;
  if (trailer) {  // nghttp2 refuses pseudo-headers in trailers
    if (!isConnectionSpecific(name)) trailers.add(std::string(name), std::string(value));
    return true;
  }
  if (name == ":method") {
    request.method.assign(value);
  } else if (name == ":path") {
    request.path.assign(value);
  } else if (name == ":authority") {
    request.authority.assign(value);
  } else if (!name.empty() && name[0] == ':') {
    // :scheme is what the client used; the gateway knows it (plain listener: "http").
  } else if (name == "host") {
    if (request.authority.empty()) request.authority.assign(value);
  } else if (name == "cookie") {
    if (!cookies.empty()) cookies.append("; ");
    cookies.append(value);
  } else if (name == "te") {
    if (equalsIgnoreCase(value, "trailers")) request.headers.add(std::string(name), std::string(value));
  } else if (name == "content-length") {
    uint64_t length = 0;
    if (std::from_chars(value.data(), value.data() + value.size(), length).ec == std::errc()) content_length = length;
  } else if (!isConnectionSpecific(name)) {
    request.headers.add(std::string(name), std::string(value));
  }
  return true;
}

}  // namespace gatehouse::http
