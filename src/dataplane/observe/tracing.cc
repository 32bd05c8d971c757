#include "dataplane/observe/tracing.h"

#include <cstring>

#include "dataplane/event/worker.h"
#include "dataplane/observe/error_type.h"

namespace gatehouse::dataplane::observe {

namespace {

template <size_t N>
void randomId(Worker& worker, std::array<uint8_t, N>& id) {
  for (size_t i = 0; i < N; i += 8) {
    uint64_t word = worker.random();
    if (word == 0) word = 1;  // an all-zero id is invalid (and the odds are nil anyway)
    std::memcpy(id.data() + i, &word, std::min<size_t>(8, N - i));
  }
}

// The client's trace context; nullopt without a valid traceparent. Several traceparent fields
// are invalid (which one is the parent?); several tracestate fields are one list (RFC 9110 5.3).
std::optional<TraceParent> incoming(const http::Headers& headers, std::string& tracestate) {
  const std::string* parent = nullptr;
  bool listed = false;
  for (const auto& [name, value] : headers.fields()) {
    if (name.size() == 11 && http::equalsIgnoreCase(name, "traceparent")) {
      if (parent != nullptr) return std::nullopt;
      parent = &value;
    } else if (name.size() == 10 && http::equalsIgnoreCase(name, "tracestate")) {
      if (listed) tracestate += ',';
      tracestate += value;
      listed = true;
    }
  }
  if (parent == nullptr) return std::nullopt;
  return parseTraceparent(*parent);
}

bool sampleNewTrace(Worker& worker) {
  const double ratio = worker.options().trace_sampling;
  if (ratio >= 1.0) return true;
  if (ratio <= 0.0) return false;
  return static_cast<double>(worker.random() >> 11) * 0x1.0p-53 < ratio;
}

}  // namespace

void startTrace(Worker& worker, RequestContext& ctx) {
  RequestTrace& trace = ctx.trace;
  trace.started = true;
  const bool head_read = !ctx.request.method.empty();  // else the fields are the previous request's
  std::optional<TraceParent> parent = head_read ? incoming(ctx.request.headers, trace.tracestate) : std::nullopt;
  if (!parent || !validTracestate(trace.tracestate)) trace.tracestate.clear();
  if (!worker.tracing()) {
    trace.has_trace = parent.has_value();
    if (parent) trace.trace_id = parent->trace_id;
    return;
  }
  trace.has_trace = true;
  trace.propagating = true;
  if (parent) {
    trace.trace_id = parent->trace_id;
    trace.parent_id = parent->parent_id;
    trace.remote_parent = true;
    trace.sampled = (parent->flags & kSampledFlag) != 0;
    trace.flags = static_cast<uint8_t>(parent->flags & kRandomFlag);  // still the client's trace id
  } else {
    randomId(worker, trace.trace_id);
    trace.sampled = sampleNewTrace(worker);
    trace.flags = kRandomFlag;
  }
  if (trace.sampled) trace.flags |= kSampledFlag;
  randomId(worker, trace.span_id);
  if (head_read) {
    ctx.request.headers.remove("traceparent");
    ctx.request.headers.remove("tracestate");
  }
}

void stampAttempt(Worker& worker, RequestContext& ctx, http::Headers& upstream_headers) {
  RequestTrace& trace = ctx.trace;
  randomId(worker, trace.attempt_id);
  char value[kTraceparentSize];
  formatTraceparent(value, trace.trace_id, trace.attempt_id, trace.flags);
  // A retry finds the previous attempt's field: its storage is reused.
  for (auto& [name, field] : upstream_headers.fields()) {
    if (name.size() == 11 && http::equalsIgnoreCase(name, "traceparent")) {
      field.assign(value, sizeof value);
      return;
    }
  }
  upstream_headers.add("traceparent", std::string(value, sizeof value));
  if (!trace.tracestate.empty()) upstream_headers.add("tracestate", trace.tracestate);
}

void endAttempt(RequestContext& ctx, uint16_t status, const std::optional<ProxyError>& error,
                std::chrono::steady_clock::time_point now) {
  if (!ctx.trace.sampled || ctx.upstream_started == std::chrono::steady_clock::time_point{}) return;
  AttemptSpan& span = ctx.trace.attempts.emplace_back();
  span.id = ctx.trace.attempt_id;
  span.started = ctx.upstream_started;
  span.ended = now;
  span.endpoint = ctx.endpoint;
  if (error && error->side == ErrorSide::Upstream) {
    span.failure = errorTypeOf(error->kind);
  } else {
    span.status = status;
    if (status == 0) span.failure = kOtherError;
  }
}

}  // namespace gatehouse::dataplane::observe
