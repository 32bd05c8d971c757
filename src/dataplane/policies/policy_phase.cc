#include "dataplane/policies/policy_phase.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <string>

#include "dataplane/event/worker.h"
#include "dataplane/pipeline/grpc.h"
#include "dataplane/pipeline/pipeline.h"
#include "dataplane/policies/global_rate_limiter.h"
#include "dataplane/policies/local_rate_limiter.h"

namespace gatehouse::dataplane::policies {

namespace {

namespace snap = gatehouse::snapshot;

// Whole seconds, rounded up: a client that waits that long is let through.
uint64_t ceilSeconds(std::chrono::nanoseconds d) {
  return static_cast<uint64_t>((d.count() + 999999999) / 1000000000);
}

// The gRPC answer of a policy: trailers-only, like the pipeline's own errors (pipeline/grpc.h).
http::Response grpcAnswer(uint8_t status, std::string_view message) {
  http::Response response;
  response.status = 200;
  response.headers.add("content-type", "application/grpc");
  response.headers.add("grpc-status", std::to_string(status));
  response.headers.add("grpc-message", std::string(message));
  return response;
}

http::Response limitedAnswer(const RequestContext& ctx, const RateLimitQuota& quota,
                             std::chrono::nanoseconds retry_after) {
  http::Response response = ctx.grpc ? grpcAnswer(static_cast<uint8_t>(GrpcStatus::ResourceExhausted),
                                                  "gateway: rate limited")
                                     : localResponse(429);
  addRateLimitHeaders(quota, response.headers);
  response.headers.add("Retry-After", std::to_string(std::max<uint64_t>(1, ceilSeconds(retry_after))));
  return response;
}

// An admitted request answers with the quota it leaves the fewest requests of.
void admitted(RequestContext& ctx, const RateLimitQuota& quota) {
  if (!ctx.rate_limit || quota.remaining < ctx.rate_limit->remaining) ctx.rate_limit = quota;
}

// The bucket a request counts in: none for Key::Target, else its client address or the value of
// the header (requests without the header share one bucket).
std::string bucketKey(snap::LocalRateLimit::Key key, const std::string& header, const RequestContext& ctx) {
  if (key == snap::LocalRateLimit::Key::ClientAddress) return ctx.client.address().to_string();
  if (key == snap::LocalRateLimit::Key::Header)
    if (const std::string* value = ctx.request.headers.find(header)) return *value;
  return {};
}

std::optional<http::Response> localRateLimit(const snap::LocalRateLimit& limit, LocalRateLimiter& limiter,
                                             RequestContext& ctx) {
  const LocalRateLimiter::Decision d =
      limiter.acquire(bucketKey(limit.key, limit.header, ctx), LocalRateLimiter::Clock::now());
  const RateLimitQuota quota{&limit.policy, limit.requests, limit.window_ms, d.remaining, d.reset};
  if (!d.allowed) return limitedAnswer(ctx, quota, d.retry_after);
  admitted(ctx, quota);
  return std::nullopt;
}

boost::asio::awaitable<std::optional<http::Response>> globalRateLimit(Worker& worker, GlobalRateLimiter& limiter,
                                                                      RequestContext& ctx) {
  const snap::GlobalRateLimit& limit = limiter.config();
  const GlobalRateLimiter::Decision d =
      co_await limiter.acquire(worker.redis(), bucketKey(limit.key, limit.header, ctx));
  const RateLimitQuota quota{&limit.policy, limit.requests, limit.window_ms, d.remaining, d.reset};
  switch (d.outcome) {
    case GlobalRateLimiter::Decision::Outcome::Allowed:
      admitted(ctx, quota);
      co_return std::nullopt;
    case GlobalRateLimiter::Decision::Outcome::Limited:
      co_return limitedAnswer(ctx, quota, d.retry_after);
    case GlobalRateLimiter::Decision::Outcome::Failed:
      break;
  }
  if (!limit.fail_closed) co_return std::nullopt;
  if (ctx.grpc) co_return grpcAnswer(static_cast<uint8_t>(GrpcStatus::Unavailable), "gateway: rate limit unavailable");
  co_return localResponse(503);
}

bool drawn(Worker& worker, uint32_t percentage) {
  return percentage >= 100 || (percentage > 0 && worker.random() % 100 < percentage);
}

std::optional<http::Response> fault(Worker& worker, const snap::FaultInjection& fault, RequestContext& ctx) {
  if (const auto& abort = fault.abort; abort && drawn(worker, abort->percentage)) {
    if (ctx.grpc && abort->grpc_status) return grpcAnswer(*abort->grpc_status, "gateway: fault injected");
    if (abort->http_status) return localResponse(*abort->http_status);
  }
  if (const auto& delay = fault.delay; delay && drawn(worker, delay->percentage))
    ctx.fault_delay = std::chrono::milliseconds(delay->delay_ms);
  return std::nullopt;
}

}  // namespace

std::optional<http::Response> applyRequestPolicies(Worker& worker, RequestContext& ctx) {
  snap::Policies policies = ctx.listener->policies;
  policies.overlay(ctx.rule->policies);
  // The local limit first: it costs no round trip, and a request it refuses takes no global token.
  if (const auto& index = policies.local_rate_limit) {
    const auto& limiters = ctx.generation->local_rate_limiters;
    if (*index < limiters.size())
      if (auto answer = localRateLimit(ctx.generation->snapshot->local_rate_limits[*index], *limiters[*index], ctx))
        return answer;
  }
  if (const auto& index = policies.global_rate_limit; index && *index < ctx.generation->global_rate_limiters.size()) {
    ctx.phases_pending = true;
    return std::nullopt;
  }
  if (policies.fault) return fault(worker, *policies.fault, ctx);
  return std::nullopt;
}

boost::asio::awaitable<std::optional<http::Response>> applyGlobalPolicies(Worker& worker, RequestContext& ctx) {
  snap::Policies policies = ctx.listener->policies;
  policies.overlay(ctx.rule->policies);
  std::optional<http::Response> answer =
      co_await globalRateLimit(worker, *ctx.generation->global_rate_limiters[*policies.global_rate_limit], ctx);
  if (!answer && policies.fault) answer = fault(worker, *policies.fault, ctx);
  co_return answer;
}

boost::asio::awaitable<void> waitFaultDelay(Worker& worker, RequestContext& ctx) {
  if (!ctx.fault_delay) co_return;
  boost::asio::steady_timer timer(worker.io());
  timer.expires_after(*ctx.fault_delay);
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

// draft-ietf-httpapi-ratelimit-headers: the quota policy (q requests per w seconds) and what is
// left of it (r, and t seconds until it is whole again), named by the policy's name. A local and
// a global limit answer alike.
void addRateLimitHeaders(const RateLimitQuota& quota, http::Headers& headers) {
  const std::string_view name = std::string_view(*quota.policy).substr(quota.policy->find('/') + 1);
  const uint64_t window = std::max<uint64_t>(1, (quota.window_ms + 999) / 1000);
  std::string value;
  value.reserve(name.size() + 32);
  value.append("\"").append(name).append("\";q=").append(std::to_string(quota.requests));
  value.append(";w=").append(std::to_string(window));
  headers.add("RateLimit-Policy", value);
  value.clear();
  value.append("\"").append(name).append("\";r=").append(std::to_string(quota.remaining));
  value.append(";t=").append(std::to_string(ceilSeconds(quota.reset)));
  headers.add("RateLimit", std::move(value));
}

}  // namespace gatehouse::dataplane::policies
