#include "dataplane/pipeline/retry.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "dataplane/event/worker.h"
#include "dataplane/observe/tracing.h"
#include "dataplane/pipeline/grpc.h"

namespace gatehouse::dataplane {

namespace asio = boost::asio;

namespace {

// The request's own deadline: its rule's request timeout and a gRPC request's grpc-timeout.
std::optional<Clock::time_point> requestDeadline(const RequestContext& ctx) {
  std::optional<Clock::time_point> deadline;
  if (ctx.rule->request_timeout_ms) deadline = ctx.started + std::chrono::milliseconds(*ctx.rule->request_timeout_ms);
  if (!ctx.grpc) return deadline;
  const std::string* grpc_timeout = ctx.request.headers.find("grpc-timeout");
  if (grpc_timeout == nullptr) return deadline;
  const std::optional<std::chrono::nanoseconds> timeout = parseGrpcTimeout(*grpc_timeout);
  if (!timeout || *timeout > std::chrono::hours(24 * 365)) return deadline;  // malformed or as good as none
  const auto at = ctx.started + std::chrono::duration_cast<Clock::duration>(*timeout);
  if (!deadline || at < *deadline) deadline = at;
  return deadline;
}

bool retriesOutcome(const snapshot::RetryPolicy& policy, const RequestContext& ctx, const AttemptOutcome& outcome,
                    Clock::time_point now) {
  if (!outcome.error) return std::binary_search(policy.codes.begin(), policy.codes.end(), outcome.status);
  if (outcome.error->retryable) return true;  // nothing reached the upstream
  switch (outcome.error->kind) {
    case ErrorKind::BadResponse:
      return true;
    case ErrorKind::TimedOut: {
      // A backend timeout, not the request's own.
      const std::optional<Clock::time_point> deadline = requestDeadline(ctx);
      return !deadline || now < *deadline;
    }
    default:
      return false;
  }
}

}  // namespace

std::optional<Clock::time_point> attemptDeadline(const RequestContext& ctx, Clock::time_point now) {
  std::optional<Clock::time_point> deadline = requestDeadline(ctx);
  if (ctx.rule->backend_request_timeout_ms) {
    const auto at = now + std::chrono::milliseconds(*ctx.rule->backend_request_timeout_ms);
    if (!deadline || at < *deadline) deadline = at;
  }
  return deadline;
}

std::optional<Clock::duration> retryDelay(Worker& worker, const RequestContext& ctx, const AttemptOutcome& outcome) {
  if (ctx.rule == nullptr || !ctx.rule->retry) return std::nullopt;
  const snapshot::RetryPolicy& policy = *ctx.rule->retry;
  if (ctx.retries >= policy.attempts) return std::nullopt;
  const Clock::time_point now = Clock::now();
  if (!retriesOutcome(policy, ctx, outcome, now)) return std::nullopt;
  // Exponential from the backoff, capped at ten times it (Envoy's cap), jittered over
  // [backoff, cap]: never sooner than the backoff GEP-1731 sets as the minimum.
  const uint64_t base = policy.backoff_ms;
  const uint64_t cap = std::min(base << std::min<uint32_t>(ctx.retries, 20), base * 10);
  const uint64_t ms = base + (cap > base ? worker.random() % (cap - base + 1) : 0);
  const Clock::duration delay = std::chrono::milliseconds(ms);
  if (const std::optional<Clock::time_point> deadline = requestDeadline(ctx); deadline && now + delay >= *deadline) {
    return std::nullopt;
  }
  return delay;
}

asio::awaitable<void> beginRetry(Worker& worker, RequestContext& ctx, Clock::duration delay,
                                 const AttemptOutcome& outcome) {
  worker.observeAttempt(ctx, outcome.status, outcome.error);
  observe::endAttempt(ctx, outcome.status, outcome.error, Clock::now());
  if (delay > Clock::duration::zero()) {
    asio::steady_timer timer(worker.io());
    timer.expires_after(delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  const auto& endpoints = ctx.cluster->endpoints;
  size_t next = worker.nextEndpoint(*ctx.backend->cluster, endpoints.size());
  if (endpoints.size() > 1 && &endpoints[next] == ctx.endpoint) next = (next + 1) % endpoints.size();
  ctx.endpoint = &endpoints[next];
  ctx.deadline = attemptDeadline(ctx, Clock::now());
  ctx.upstream_started = {};
  ++ctx.retries;
}

}  // namespace gatehouse::dataplane
