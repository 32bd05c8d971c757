#pragma once
// Tracing's hooks in the request pipeline (pipeline/pipeline.h): a server span per request and a
// client span per upstream attempt, W3C trace context in and out, spans handed to the worker's
// SpanBuffer (observe/span_exporter.h) in the log phase. User doc: docs/observability.md.
//
//   startTrace()    request start (runRequestPhases; the log phase for requests refused before)
//   beginAttempt()  each upstream attempt, before its head is written
//   endAttempt()    an attempt that is retried (pipeline/retry.h)
//
// With tracing off the hooks cost a test of a flag: startTrace() runs only when the worker reads
// trace context (tracing or access log on), beginAttempt() only stamps when propagating.
#include <chrono>
#include <optional>

#include "dataplane/http/message.h"
#include "dataplane/proxy_error.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane {
class Worker;
}

namespace gatehouse::dataplane::observe {

// Reads the request's traceparent and tracestate (a request refused before its head was read
// has none). With tracing on: the server span's id, a new trace when the traceparent is missing
// or invalid, the sampling decision (parent-based: the client's sampled flag, else
// Options::trace_sampling), and the incoming trace headers removed from the request (the
// upstream gets the proxy's own, per attempt).
void startTrace(Worker& worker, RequestContext& ctx);

void stampAttempt(Worker& worker, RequestContext& ctx, http::Headers& upstream_headers);

// An upstream attempt starts now: sets ctx.upstream_started and, with tracing on, gives the
// attempt its client span and puts traceparent (parent: that span) and tracestate into
// `upstream_headers`. True when it changed them (a codec that serialised the head rebuilds it).
inline bool beginAttempt(Worker& worker, RequestContext& ctx, http::Headers& upstream_headers) {
  ctx.upstream_started = std::chrono::steady_clock::now();
  if (!ctx.trace.propagating) return false;
  stampAttempt(worker, ctx, upstream_headers);
  return true;
}

// The current attempt ended with `status` (0: none) or `error` and is retried: its client span
// is kept for the log phase.
void endAttempt(RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error,
                std::chrono::steady_clock::time_point now);

}  // namespace gatehouse::dataplane::observe
