#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent and tracestate
// request headers, parsed strictly. They come from clients, so every byte is untrusted: an
// invalid traceparent means "no parent" (the spec: start a new trace) and an invalid tracestate
// is dropped whole (the spec allows discarding it). No allocation; fuzzed
// (fuzz/traceparent_fuzz.cc).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gatehouse::dataplane::observe {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

inline constexpr uint8_t kSampledFlag = 0x01;
inline constexpr uint8_t kRandomFlag = 0x02;  // Level 2: the trace id's right 7 bytes are random

struct TraceParent {
  TraceId trace_id{};
  SpanId parent_id{};
  uint8_t flags = 0;
  bool operator==(const TraceParent&) const = default;
};

// A traceparent value, "00-<32 hex>-<16 hex>-<2 hex>" (lowercase hex only, ids not all zero).
// Version ff is invalid; a higher version than 00 is read by the 00 layout when its first 55
// characters follow it and what comes after starts with '-' (§3.2.4 "Versioning of traceparent").
std::optional<TraceParent> parseTraceparent(std::string_view value);

// A tracestate value (§3.3): at most 32 comma-separated list-members "key=value" (empty members
// and optional whitespace around them allowed), keys simple or "tenant@system", each key once,
// values 1..256 printable characters other than ',' and '=' not ending in a space.
bool validTracestate(std::string_view value);

// 55 characters: "00-<trace>-<span>-<flags>".
inline constexpr size_t kTraceparentSize = 55;
void formatTraceparent(char* out, const TraceId& trace, const SpanId& span, uint8_t flags);

// Lowercase hex of `bytes` (2 * n characters).
void appendHex(char* out, const uint8_t* bytes, size_t n);

}  // namespace gatehouse::dataplane::observe
