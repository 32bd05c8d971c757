#include "dataplane/observe/otlp_json.h"

#include <fmt/format.h>

#include "dataplane/observe/error_type.h"
#include "dataplane/observe/json_escape.h"
#include "dataplane/observe/request_metrics.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane::observe {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// OTLP's span kinds and status codes (opentelemetry/proto/trace/v1/trace.proto).
constexpr int kSpanKindServer = 2;
constexpr int kSpanKindClient = 3;
constexpr int kStatusError = 2;

// Converts steady times to Unix nanoseconds through one (wall, steady) pair taken together.
struct Clocks {
  std::chrono::system_clock::time_point wall;
  SteadyTime now;
  int64_t unixNanos(SteadyTime at) const {
    const auto wall_at = wall - (now - at);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(wall_at.time_since_epoch()).count();
  }
};

template <size_t N>
void hexField(std::string& out, std::string_view name, const std::array<uint8_t, N>& id) {
  char hex[2 * N];
  appendHex(hex, id.data(), N);
  fmt::format_to(std::back_inserter(out), "\"{}\":\"{}\",", name, std::string_view(hex, sizeof hex));
}

class Attributes {
 public:
  explicit Attributes(std::string& out) : out_(out) { out_ += "\"attributes\":["; }
  ~Attributes() { out_ += "],"; }

  void string(std::string_view key, std::string_view value) {
    open(key);
    out_ += "{\"stringValue\":";
    appendJsonString(out_, value);
    out_ += "}}";
  }
  void integer(std::string_view key, int64_t value) {
    open(key);
    fmt::format_to(std::back_inserter(out_), "{{\"intValue\":\"{}\"}}}}", value);
  }

 private:
  void open(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    fmt::format_to(std::back_inserter(out_), "{{\"key\":\"{}\",\"value\":", key);
  }
  std::string& out_;
  bool first_ = true;
};

std::pair<std::string_view, std::string_view> splitAt(std::string_view text, char separator) {
  const size_t at = text.find(separator);
  if (at == std::string_view::npos) return {text, {}};
  return {text.substr(0, at), text.substr(at + 1)};
}

// The host of an authority ("host", "host:port", "[v6]:port").
std::string_view hostOf(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.rfind(':'));
}

void methodAttributes(Attributes& attributes, std::string_view method) {
  const std::string_view known = methodLabel(method);
  attributes.string("http.request.method", known);
  if (known != method) attributes.string("http.request.method_original", method);
}

void spanHead(std::string& out, const RequestTrace& trace, const SpanId& id, const SpanId* parent,
              std::string_view method, int kind, int64_t start, int64_t end) {
  out += '{';
  hexField(out, "traceId", trace.trace_id);
  hexField(out, "spanId", id);
  if (parent != nullptr) hexField(out, "parentSpanId", *parent);
  if (!trace.tracestate.empty()) {
    out += "\"traceState\":";
    appendJsonString(out, trace.tracestate);
    out += ',';
  }
  // The semantic conventions' span name is "{method} {http.route}"; a Gateway API match is no
  // route template, so the method alone ("HTTP" when unknown).
  const std::string_view known = methodLabel(method);
  fmt::format_to(std::back_inserter(out), "\"name\":\"{}\",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",",
                 known == "_OTHER" ? "HTTP" : known, kind, start, end);
}

void spanStatus(std::string& out, std::string_view error_type) {
  if (error_type.empty()) {
    out += "\"status\":{}}";
  } else {
    fmt::format_to(std::back_inserter(out), "\"status\":{{\"code\":{},\"message\":", kStatusError);
    appendJsonString(out, error_type);
    out += "}}";
  }
}

void identityAttributes(Attributes& attributes, const RequestContext& ctx) {
  if (ctx.listener != nullptr) {
    const auto [ns, name] = splitAt(ctx.listener->gateway, '/');
    attributes.string("gatehouse.gateway.namespace", ns);
    attributes.string("gatehouse.gateway.name", name);
    attributes.string("gatehouse.listener", ctx.listener->name);
  }
  if (ctx.rule != nullptr) {
    const auto [ns, name] = splitAt(ctx.rule->route, '/');
    attributes.string("gatehouse.route.kind", ctx.rule->route_kind);
    attributes.string("gatehouse.route.namespace", ns);
    attributes.string("gatehouse.route.name", name);
    attributes.string("gatehouse.route.rule", ctx.rule->name.empty() ? std::to_string(ctx.rule->index) : ctx.rule->name);
  }
  if (ctx.cluster != nullptr) attributes.string("gatehouse.backend", ctx.cluster->name);
}

void serverSpan(std::string& out, const RequestContext& ctx, const Clocks& clocks) {
  const RequestTrace& trace = ctx.trace;
  const http::Request& request = ctx.request;
  const SteadyTime started = ctx.started == SteadyTime{} ? clocks.now : ctx.started;
  spanHead(out, trace, trace.span_id, trace.remote_parent ? &trace.parent_id : nullptr, request.method,
           kSpanKindServer, clocks.unixNanos(started), clocks.unixNanos(clocks.now));
  // error.type: the status of a 5xx (4xx are the client's errors, not the server span's), else
  // the failure when no response was sent.
  std::string error_type;
  if (ctx.status >= 500) {
    error_type = std::to_string(ctx.status);
  } else if (ctx.status == 0) {
    error_type = ctx.error ? errorTypeOf(ctx.error->kind) : kOtherError;
  }
  {
    Attributes attributes(out);
    if (!request.method.empty()) methodAttributes(attributes, request.method);
    if (!request.scheme.empty()) attributes.string("url.scheme", request.scheme);
    if (!request.path.empty()) {
      const auto [path, query] = splitAt(request.path, '?');
      attributes.string("url.path", path);
      if (path.size() < request.path.size()) attributes.string("url.query", query);
    }
    if (!request.authority.empty()) attributes.string("server.address", hostOf(request.authority));
    if (request.listener_port != 0) attributes.integer("server.port", request.listener_port);
    if (ctx.client.port() != 0) {
      attributes.string("client.address", ctx.client.address().to_string());
      attributes.integer("client.port", ctx.client.port());
    }
    attributes.string("network.protocol.version", ctx.http2 ? "2" : "1.1");
    if (const std::string* agent = request.headers.find("user-agent")) attributes.string("user_agent.original", *agent);
    if (ctx.status != 0) attributes.integer("http.response.status_code", ctx.status);
    if (!error_type.empty()) attributes.string("error.type", error_type);
    identityAttributes(attributes, ctx);
  }
  spanStatus(out, error_type);
}

void clientSpan(std::string& out, const RequestContext& ctx, const Clocks& clocks, const AttemptSpan& attempt,
                uint32_t resend_count) {
  const RequestTrace& trace = ctx.trace;
  const http::Request& request = ctx.request;
  spanHead(out, trace, attempt.id, &trace.span_id, request.method, kSpanKindClient, clocks.unixNanos(attempt.started),
           clocks.unixNanos(attempt.ended));
  // On the client leg 4xx are errors too.
  const std::string error_type = attempt.status >= 400 ? std::to_string(attempt.status) : std::string(attempt.failure);
  const bool h2 = ctx.grpc || (ctx.cluster != nullptr && ctx.cluster->protocol == snapshot::UpstreamProtocol::H2c);
  {
    Attributes attributes(out);
    methodAttributes(attributes, request.method);
    const std::string_view scheme = ctx.cluster != nullptr && ctx.cluster->tls ? "https" : "http";
    attributes.string("url.full", fmt::format("{}://{}{}", scheme, request.authority, request.path));
    if (attempt.endpoint != nullptr) {
      attributes.string("server.address", attempt.endpoint->ip);
      attributes.integer("server.port", attempt.endpoint->port);
    }
    attributes.string("network.protocol.version", h2 ? "2" : "1.1");
    if (resend_count > 0) attributes.integer("http.request.resend_count", resend_count);
    if (attempt.status != 0) attributes.integer("http.response.status_code", attempt.status);
    if (!error_type.empty()) attributes.string("error.type", error_type);
    if (ctx.cluster != nullptr) attributes.string("gatehouse.backend", ctx.cluster->name);
  }
  spanStatus(out, error_type);
}

}  // namespace

size_t appendSpans(std::string& out, const RequestContext& ctx, std::chrono::system_clock::time_point wall,
                   SteadyTime now) {
  const Clocks clocks{wall, now};
  serverSpan(out, ctx, clocks);
  size_t spans = 1;
  uint32_t resends = 0;
  for (const AttemptSpan& attempt : ctx.trace.attempts) {
    out += ',';
    clientSpan(out, ctx, clocks, attempt, resends++);
    ++spans;
  }
  if (ctx.upstream_started != SteadyTime{}) {
    // The last attempt: its outcome is the request's (pipeline/request_context.h).
    AttemptSpan last;
    last.id = ctx.trace.attempt_id;
    last.started = ctx.upstream_started;
    last.ended = now;
    last.endpoint = ctx.endpoint;
    if (ctx.error && ctx.error->side == ErrorSide::Upstream) {
      last.failure = errorTypeOf(ctx.error->kind);
    } else {
      last.status = ctx.status;
      if (last.status == 0) last.failure = kOtherError;
    }
    out += ',';
    clientSpan(out, ctx, clocks, last, resends);
    ++spans;
  }
  return spans;
}

std::string exportRequest(std::string_view spans) {
  std::string out;
  out.reserve(spans.size() + 200);
  out += R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gatehouse"}}]},)"
         R"("scopeSpans":[{"scope":{"name":"gatehouse"},"spans":[)";
  out += spans;
  out += "]}]}]}";
  return out;
}

}  // namespace gatehouse::dataplane::observe
