#include "dataplane/pipeline/pipeline.h"

#include <algorithm>

#include "dataplane/event/worker.h"
#include "dataplane/filters/filters.h"
#include "dataplane/filters/mirror.h"
#include "dataplane/http/path.h"
#include "dataplane/http/router.h"
#include "dataplane/observe/tracing.h"
#include "dataplane/pipeline/grpc.h"
#include "dataplane/pipeline/retry.h"
#include "dataplane/policies/policy_phase.h"
#include "dataplane/upstream/h2c_client.h"

namespace gatehouse::dataplane {

namespace asio = boost::asio;

namespace {

// normalise: the path is made canonical once, before routing, and forwarded in that form, so the
// route decision and the backend see the same path (see http/path.h).
std::optional<ProxyError> normalise(const Options& options, RequestContext& ctx) {
  if (!http::normalizePath(ctx.request.path, options.escaped_slashes)) return ProxyError::of(ErrorKind::InvalidPath);
  return std::nullopt;
}

// route: the listener by Host (421 when the TLS server name chose another one), then the first
// matching entry of its host's route table. Pins the generation current now.
std::optional<ProxyError> route(Worker& worker, std::string_view socket_identity, RequestContext& ctx) {
  ctx.generation = worker.generation();
  const SocketConfig* socket = ctx.generation ? ctx.generation->find(socket_identity) : nullptr;
  if (socket == nullptr || socket->socket == nullptr) return ProxyError::of(ErrorKind::NoListener);
  const http::RouteResult routed = http::route(*socket->socket, ctx.request);
  // The certificate was chosen by SNI for another listener than the Host selects.
  if (http::misdirected(*socket->socket, ctx.server_name, routed.listener)) {
    return ProxyError::of(ErrorKind::Misdirected);
  }
  // Known even when no route matched: metrics and access logs name the listener.
  ctx.listener = routed.listener;
  if (routed.listener == nullptr || routed.entry == nullptr || routed.rule == nullptr) {
    return ProxyError::of(ErrorKind::NoRoute);
  }
  ctx.entry = routed.entry;
  ctx.rule = routed.rule;
  return std::nullopt;
}

// upstream selection: the weighted backend and its cluster (the endpoint is picked after the
// request filters, once mirrors have drawn theirs).
std::optional<ProxyError> selectBackend(Worker& worker, RequestContext& ctx) {
  ctx.backend = http::pickBackend(*ctx.rule, worker.random());
  ctx.cluster = ctx.backend && ctx.backend->cluster ? ctx.generation->snapshot->clusters.get(*ctx.backend->cluster)
                                                    : nullptr;
  if (ctx.cluster == nullptr) return ProxyError::of(ErrorKind::InvalidBackend);
  ctx.upstream_tls = nullptr;
  if (ctx.cluster->tls) {
    // A BackendTLSPolicy: TLS to the backend, never plaintext; without a usable CA the request
    // fails (the policy asks for a 5xx).
    ctx.upstream_tls = ctx.generation->upstreamTls(*ctx.backend->cluster, ctx.listener).get();
    if (ctx.upstream_tls == nullptr) return ProxyError::of(ErrorKind::InvalidBackend);
  }
  if (ctx.cluster->endpoints.empty()) return ProxyError::of(ErrorKind::NoEndpoint);
  return std::nullopt;
}

// request filters: the rule's, then the backendRef's, each in list order; mirrors are chosen
// here (each with its fraction) and sent by the codec once the body is known.
void applyRequestFilters(Worker& worker, RequestContext& ctx) {
  filters::MirrorSelection selection{worker.mirrors(), *ctx.generation, ctx.listener, ctx.mirrors};
  filters::RequestFilterContext context{ctx.entry->match.path, ctx.request, ctx.upgrade ? nullptr : &selection};
  filters::applyRequestFilters(ctx.rule->filters, context);
  filters::applyRequestFilters(ctx.backend->filters, context);
}

void selectEndpoint(Worker& worker, RequestContext& ctx) {
  const auto& endpoints = ctx.cluster->endpoints;
  ctx.endpoint = &endpoints[worker.nextEndpoint(*ctx.backend->cluster, endpoints.size())];
  ctx.deadline = attemptDeadline(ctx, Clock::now());
}

}  // namespace

http::Response localResponse(uint16_t status) {
  http::Response response;
  response.status = status;
  response.headers.add("Content-Type", "text/plain");
  response.body = std::string(http::reasonPhrase(status));
  response.body += '\n';
  return response;
}

http::Response errorResponse(const RequestContext& ctx, const ProxyError& error) {
  return ctx.grpc ? grpcLocalResponse(error) : localResponse(error.status());
}

namespace {

// The phases after the policy phase: a filter's own answer, backend, request filters, endpoint.
std::optional<http::Response> runPhasesAfterPolicies(Worker& worker, RequestContext& ctx) {
  // A filter's own answer (a redirect) comes before any backend is considered.
  if (std::optional<http::Response> answer = filters::answerFor(ctx.rule->filters, ctx.entry->match.path, ctx.request)) {
    return answer;
  }
  if (auto error = selectBackend(worker, ctx)) {
    ctx.error = *error;
    return errorResponse(ctx, *error);
  }
  applyRequestFilters(worker, ctx);
  selectEndpoint(worker, ctx);
  return std::nullopt;
}

}  // namespace

std::optional<http::Response> runRequestPhases(Worker& worker, std::string_view socket_identity, RequestContext& ctx) {
  auto failed = [&](ProxyError error) {
    ctx.error = error;
    return errorResponse(ctx, error);
  };
  if (worker.readsTraceContext()) observe::startTrace(worker, ctx);
  ctx.grpc = isGrpcRequest(ctx.request);
  if (auto error = normalise(worker.options(), ctx)) return failed(*error);
  if (auto error = route(worker, socket_identity, ctx)) return failed(*error);
  if (!ctx.listener->policies.empty() || !ctx.rule->policies.empty()) {
    if (std::optional<http::Response> answer = policies::applyRequestPolicies(worker, ctx)) return answer;
    if (ctx.phases_pending) return std::nullopt;
  }
  return runPhasesAfterPolicies(worker, ctx);
}

asio::awaitable<std::optional<http::Response>> runPendingPhases(Worker& worker, RequestContext& ctx) {
  ctx.phases_pending = false;
  if (std::optional<http::Response> answer = co_await policies::applyGlobalPolicies(worker, ctx)) co_return answer;
  co_return runPhasesAfterPolicies(worker, ctx);
}

bool hasResponseFilters(const RequestContext& ctx) {
  return filters::hasResponseFilters(ctx.rule->filters) || filters::hasResponseFilters(ctx.backend->filters);
}

bool changesResponse(const RequestContext& ctx) { return ctx.rate_limit || hasResponseFilters(ctx); }

void applyResponsePhase(const RequestContext& ctx, http::Response& response) {
  if (ctx.rate_limit) policies::addRateLimitHeaders(*ctx.rate_limit, response.headers);
  filters::applyResponseFilters(ctx.rule->filters, ctx.request, response);
  filters::applyResponseFilters(ctx.backend->filters, ctx.request, response);
}

asio::awaitable<std::optional<ProxyError>> openStreamingExchange(Worker& worker, RequestContext& ctx,
                                                                 upstream::StreamedRequest& request,
                                                                 std::shared_ptr<upstream::StreamingExchange>& exchange) {
  upstream::ExchangeOptions options;
  if (ctx.deadline) options.deadline = *ctx.deadline;
  // A request without body is always replayable: with retries the rule's policy resends it.
  options.replay_stale = !ctx.rule->retry;
  observe::beginAttempt(worker, ctx, request.head.headers);
  // Not a coroutine (a frame less per request): both take `options` by value or use it at once.
  if (ctx.cluster->protocol == snapshot::UpstreamProtocol::H2c || ctx.grpc) {
    return worker.h2c().openStreaming(*ctx.endpoint, ctx.upstream_tls, request, options, exchange);
  }
  return upstream::openH1Streaming(worker, *ctx.endpoint, ctx.upstream_tls, request, options, exchange);
}

asio::awaitable<std::optional<ProxyError>> exchangeReplayable(Worker& worker, RequestContext& ctx,
                                                              upstream::StreamedRequest& request,
                                                              const std::string& body, const http::Headers& trailers,
                                                              std::shared_ptr<upstream::StreamingExchange>& exchange,
                                                              upstream::StreamedResponseHead& head,
                                                              const bool& abandoned) {
  for (;;) {
    std::shared_ptr<upstream::StreamingExchange> opened;
    AttemptOutcome attempt;
    attempt.error = co_await openStreamingExchange(worker, ctx, request, opened);
    if (!attempt.error) {
      std::shared_ptr<upstream::StreamingExchange> current = std::move(opened);
      exchange = current;
      if (request.body_follows) {
        // A failed write shows in readHead() (the upstream may also have answered early).
        if (body.empty() || co_await current->writeBody(body)) co_await current->endBody(trailers);
      }
      if (abandoned) {
        attempt.error = ProxyError::of(ErrorKind::BadResponse);
      } else {
        attempt.error = co_await current->readHead(head);
        if (!attempt.error) attempt.status = head.status;
      }
    }
    const std::optional<Clock::duration> delay = abandoned ? std::nullopt : retryDelay(worker, ctx, attempt);
    if (!delay) {
      if (attempt.error && exchange) exchange->cancel();
      co_return attempt.error;
    }
    if (exchange) {
      exchange->cancel();
      exchange.reset();
    }
    head = {};
    co_await beginRetry(worker, ctx, *delay, attempt);
    if (abandoned) co_return ProxyError::of(ErrorKind::BadResponse);
  }
}

void logPhase(Worker& worker, RequestContext& ctx, uint16_t status, std::optional<ProxyError> error) {
  ctx.status = status;
  if (!ctx.error) ctx.error = error;
  // A request refused before the pipeline saw it.
  if (!ctx.trace.started && worker.readsTraceContext()) observe::startTrace(worker, ctx);
  worker.observe(ctx);
  if (const RequestLogHook& hook = worker.requestLogHook()) hook(ctx);
}

}  // namespace gatehouse::dataplane
