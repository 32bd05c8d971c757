#pragma once
// Spans in the OTLP/JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// ids as lowercase hex, int64 values (times in Unix nanoseconds, integer attributes) as decimal
// strings, enums as integers, camelCase field names. Attributes follow the OpenTelemetry HTTP
// semantic conventions, plus the Gateway API identity under gatehouse.*.
#include <chrono>
#include <string>

namespace gatehouse::dataplane {
struct RequestContext;
}

namespace gatehouse::dataplane::observe {

// Appends the request's spans as JSON objects separated by ',': its server span (kind SERVER),
// then one client span (kind CLIENT, parent: the server span) per upstream attempt, retried ones
// first. `wall`/`now`: the same instant on the system and the steady clock (the context keeps
// steady times). Returns how many spans it appended.
size_t appendSpans(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                   std::chrono::steady_clock::time_point now);

// The ExportTraceServiceRequest around `spans` (appendSpans() output of one or more requests,
// joined by ','): one resource (service.name "gatehouse") and one scope.
std::string exportRequest(std::string_view spans);

}  // namespace gatehouse::dataplane::observe
