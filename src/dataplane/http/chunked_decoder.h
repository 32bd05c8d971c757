#pragma once
// Incremental validator/decoder of the chunked transfer coding (RFC 9112 §7.1) over a byte
// stream that arrives in arbitrary pieces. One state machine, two uses:
//  - relay(): says how many bytes of the input belong to the body, so the proxy can forward the
//    chunked framing verbatim, and when the message ended (bytes after it are the next message);
//  - decode(): hands out the chunk data bytes, as views into the input.
// Errors are reported in the result; the decoder then stays failed until reset().
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

struct ChunkedLimits {
  size_t max_chunk_line_bytes = 4096;    // chunk-size plus extensions, without CRLF
  size_t max_trailer_bytes = 16 * 1024;  // trailer field lines and the final CRLF
  size_t max_trailer_count = 100;
};

enum class ChunkedStatus : uint8_t {
  InProgress,  // the body continues after the consumed bytes
  Done,        // the body ended exactly at `consumed`: last-chunk, trailers and final CRLF seen
  Error,
};

struct ChunkedResult {
  ChunkedStatus status = ChunkedStatus::InProgress;
  size_t consumed = 0;            // bytes of the input that belong to the body
  std::string_view data;          // decode(): chunk data, the last data.size() consumed bytes
  std::string_view error_reason;  // Error: static text naming the rule that was broken

  bool in_progress() const { return status == ChunkedStatus::InProgress; }
  bool done() const { return status == ChunkedStatus::Done; }
  bool error() const { return status == ChunkedStatus::Error; }
};

class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  // Consumes all of `input` that belongs to the body, up to its end.
  ChunkedResult relay(std::string_view input) { return run(input, /*stop_after_data=*/false); }
  // Consumes framing up to and including the next run of chunk data (in `data`), or all of the
  // input when it holds no data. Call again with the unconsumed rest until it is empty.
  ChunkedResult decode(std::string_view input) { return run(input, /*stop_after_data=*/true); }

  // Appends the trailer section's bytes (field lines and the final CRLF, as received) to `sink`
  // as they are consumed; null: not kept (the relay forwards them verbatim).
  void keepTrailers(std::string* sink) { trailers_ = sink; }

  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Error; }
  uint64_t data_bytes() const { return data_bytes_; }  // chunk data seen so far
  void reset();

 private:
  enum class State : uint8_t {
    SizeStart,        // first HEXDIG of chunk-size
    Size,             // more HEXDIG, or what follows chunk-size
    ExtBeforeSemi,    // BWS before ";"
    ExtBeforeName,    // BWS after ";"
    ExtName,          // chunk-ext-name
    ExtAfterName,     // BWS after a name: "=" or ";" follows
    ExtBeforeValue,   // BWS after "="
    ExtToken,         // token chunk-ext-val
    ExtQuoted,        // inside a quoted-string chunk-ext-val
    ExtQuotedPair,    // after "\" in a quoted-string
    ExtAfterQuoted,   // after the closing DQUOTE
    SizeLineLf,       // LF ending the chunk-size line
    Data,             // chunk data
    DataCr,           // CR after chunk data
    DataLf,           // LF after chunk data
    TrailerLineStart, // a trailer field line or the final CRLF
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,          // LF of the final CRLF
    Done,
    Error,
  };

  ChunkedResult run(std::string_view input, bool stop_after_data);
  ChunkedResult fail(size_t consumed, std::string_view reason);

  ChunkedLimits limits_;
  State state_ = State::SizeStart;
  uint64_t chunk_remaining_ = 0;
  uint64_t data_bytes_ = 0;
  size_t line_bytes_ = 0;     // bytes of the current chunk-size line
  size_t trailer_bytes_ = 0;  // bytes of the trailer section so far
  size_t trailer_count_ = 0;
  std::string* trailers_ = nullptr;
  std::string_view error_reason_;
};

}  // namespace gatehouse::http
