#pragma once
// Strict, incremental, zero-copy HTTP/1.1 head parser for downstream requests and upstream
// responses. The connection appends to one contiguous buffer and calls parse() again with the
// whole buffer until it returns Complete or Error; lines already validated are not rescanned,
// and the buffer may move between calls (only offsets are kept until the head is complete).
// Strictness rules and the RFC section behind each: docs/design/http1-parser.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dataplane/http/case_fold.h"

namespace gatehouse::http {

// Vector with inline storage for the first N elements; spills to the heap only beyond N.
template <typename T, size_t N>
class InlineVector {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  const T& operator[](size_t i) const { return data()[i]; }
  const T& back() const { return data()[size_ - 1]; }
  void clear() {
    size_ = 0;
    spill_.clear();  // keeps its capacity for the next message on this connection
  }
  void push_back(const T& value) {
    if (spill_.empty() && size_ < N) {
      inline_[size_++] = value;
      return;
    }
    if (spill_.empty()) {
      spill_.reserve(2 * N);
      spill_.assign(inline_.begin(), inline_.end());
    }
    spill_.push_back(value);
    ++size_;
  }

 private:
  const T* data() const { return spill_.empty() ? inline_.data() : spill_.data(); }

  std::array<T, N> inline_{};
  std::vector<T> spill_;
  size_t size_ = 0;
};

struct Header {
  std::string_view name;   // case as received
  std::string_view value;  // without leading and trailing whitespace
};

// True when the comma-separated list `value` (e.g. a Connection field) has an element equal
// to `token`, ignoring case and surrounding whitespace.
bool listContainsToken(std::string_view value, std::string_view token);

class HeaderList {
 public:
  static constexpr size_t kInlineCapacity = 32;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const Header* begin() const { return fields_.begin(); }
  const Header* end() const { return fields_.end(); }
  const Header& operator[](size_t i) const { return fields_[i]; }
  void push_back(const Header& header) { fields_.push_back(header); }
  void clear() { fields_.clear(); }

  // Case-insensitive lookups by field name.
  std::optional<std::string_view> find(std::string_view name) const;  // first occurrence
  bool contains(std::string_view name) const { return find(name).has_value(); }
  size_t count(std::string_view name) const;

 private:
  InlineVector<Header, kInlineCapacity> fields_;
};

enum class ParseStatus : uint8_t { Incomplete, Complete, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::Incomplete;
  size_t consumed = 0;            // Complete: bytes of the head, through the empty line's CRLF
  uint16_t error_status = 0;      // Error: status to answer with (requests) or 502 (responses)
  std::string_view error_reason;  // Error: static text naming the rule that was broken

  bool incomplete() const { return status == ParseStatus::Incomplete; }
  bool complete() const { return status == ParseStatus::Complete; }
  bool error() const { return status == ParseStatus::Error; }
  friend bool operator==(const ParseResult&, const ParseResult&) = default;
};

struct HeadLimits {
  size_t max_head_bytes = 64 * 1024;       // start line + fields + empty line; over it: 431
  size_t max_header_count = 100;           // over it: 431
  size_t max_start_line_bytes = 8 * 1024;  // request-line without CRLF; over it: 414
};

// How the message body is delimited (RFC 9112 §6.3).
enum class BodyFraming : uint8_t {
  None,           // no body (request without CL/TE; 1xx/204/304; response to HEAD; tunnels)
  ContentLength,  // exactly content_length bytes
  Chunked,        // chunked transfer coding; see ChunkedDecoder
  UntilClose,     // response only: the body ends when the upstream closes the connection
};

enum class TargetForm : uint8_t { Origin, Absolute, Authority, Asterisk };  // RFC 9112 §3.2

struct RequestHead {
  std::string_view method;
  std::string_view target;     // the request-target exactly as received
  TargetForm target_form = TargetForm::Origin;
  std::string_view authority;  // absolute-form and authority-form: host[:port]; else empty
  std::string_view path;       // "/" for an absolute-form target without a path; "*"; empty for authority-form
  std::string_view query;      // after "?", without it; empty when absent
  uint8_t version_minor = 1;   // HTTP/1.<version_minor>; only 1.0 and 1.1 parse
  HeaderList headers;

  std::string_view host;  // the Host field value; empty when absent (HTTP/1.0 only)
  BodyFraming framing = BodyFraming::None;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;        // 1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  bool upgrade = false;          // HTTP/1.1, Upgrade field present and "upgrade" in Connection
  bool expect_continue = false;  // HTTP/1.1 and "Expect: 100-continue"
};

struct ResponseHead {
  uint8_t version_minor = 1;
  uint16_t status_code = 0;
  std::string_view reason;
  HeaderList headers;

  BodyFraming framing = BodyFraming::None;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;       // false whenever framing is UntilClose
  bool interim = false;         // 1xx other than 101: the final response head follows
  bool becomes_tunnel = false;  // 101, or 2xx to CONNECT: raw bytes follow the head
};

namespace detail {
struct Span {
  uint32_t offset = 0;
  uint32_t length = 0;
};
struct FieldSpan {
  Span name;
  Span value;
};
// Progress through a head that is still arriving: offsets only, so the buffer may move.
struct HeadScan {
  size_t line_start = 0;  // first byte of the line not yet validated
  size_t scan_from = 0;   // where the search for that line's LF resumes
  bool have_start_line = false;
  size_t method_token_bytes = 0;  // leading token bytes of the unfinished request-line
  Span start_line;
  InlineVector<FieldSpan, HeaderList::kInlineCapacity> fields;
  void reset();
};
}  // namespace detail

class RequestHeadParser {
 public:
  explicit RequestHeadParser(HeadLimits limits = {}) : limits_(limits) {}

  // `buffer` holds every byte received for this message so far (it may have moved or grown
  // since the previous call, but its prefix is unchanged). After Complete, head() views it.
  ParseResult parse(std::string_view buffer);
  const RequestHead& head() const { return head_; }
  // Starts over for the next message (pipelining: the caller drops the consumed bytes first).
  void reset();

 private:
  HeadLimits limits_;
  detail::HeadScan scan_;
  RequestHead head_;
  ParseResult result_;
};

class ResponseHeadParser {
 public:
  // The request method decides the framing of responses to HEAD and CONNECT (RFC 9112 §6.3).
  explicit ResponseHeadParser(std::string_view request_method, HeadLimits limits = {});

  ParseResult parse(std::string_view buffer);  // every error is reported as 502
  const ResponseHead& head() const { return head_; }
  void reset(std::string_view request_method);

 private:
  HeadLimits limits_;
  bool request_was_head_ = false;
  bool request_was_connect_ = false;
  detail::HeadScan scan_;
  ResponseHead head_;
  ParseResult result_;
};

// One-shot helpers for a buffer that holds the whole head (tests, fuzzing, tools).
ParseResult parseRequestHead(std::string_view buffer, RequestHead& out, const HeadLimits& limits = {});
ParseResult parseResponseHead(std::string_view buffer, std::string_view request_method, ResponseHead& out,
                              const HeadLimits& limits = {});

}  // namespace gatehouse::http
