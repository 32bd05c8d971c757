#pragma once
// A request's trace, carried in its RequestContext (observe/tracing.h fills it). With tracing off
// (no --otlp-endpoint) only the incoming trace id is read, and only when the access log is on.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/observe/trace_context.h"

namespace gatehouse::snapshot {
struct Endpoint;
}

namespace gatehouse::dataplane::observe {

// An upstream attempt that ended before the request did (it was retried): its client span.
struct AttemptSpan {
  SpanId id{};
  std::chrono::steady_clock::time_point started{}, ended{};
  const snapshot::Endpoint* endpoint = nullptr;
  uint16_t status = 0;        // the response's, 0 when none
  std::string_view failure;   // error.type of a failure without response (a static string)
};

struct RequestTrace {
  bool started = false;      // startTrace() ran for this request
  bool has_trace = false;    // trace_id holds the request's trace (the incoming one, or a new one)
  bool propagating = false;  // tracing is on: the proxy's ids go upstream (beginAttempt())
  bool sampled = false;      // its spans are recorded
  bool remote_parent = false;  // parent_id is the client's span
  uint8_t flags = 0;         // the trace-flags sent upstream
  TraceId trace_id{};
  SpanId parent_id{};
  SpanId span_id{};          // the server span's
  SpanId attempt_id{};       // the current upstream attempt's client span
  std::string tracestate;    // the client's, when valid: forwarded unchanged
  std::vector<AttemptSpan> attempts;  // attempts that ended before the current one

  // Keeps the storage of tracestate and attempts for the next request on the connection.
  void reset() {
    started = has_trace = propagating = sampled = remote_parent = false;
    tracestate.clear();
    attempts.clear();
  }
};

}  // namespace gatehouse::dataplane::observe
