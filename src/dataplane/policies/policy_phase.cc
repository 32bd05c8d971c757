#include "dataplane/policies/policy_phase.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <string>

#include "dataplane/event/worker.h"
#include "dataplane/pipeline/grpc.h"
#include "dataplane/pipeline/pipeline.h"
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

// draft-ietf-httpapi-ratelimit-headers: the quota policy (q requests per w seconds) and what is
// left of it (r, and t seconds until it is whole again), named by the policy's name.
void addRateLimitHeaders(const snap::LocalRateLimit& limit, const LocalRateLimiter::Decision& d,
                         http::Response& response) {
  const std::string_view policy = std::string_view(limit.policy).substr(limit.policy.find('/') + 1);
  const uint64_t window = std::max<uint64_t>(1, (limit.window_ms + 999) / 1000);
  response.headers.add("RateLimit-Policy",
                       "\"" + std::string(policy) + "\";q=" + std::to_string(limit.requests) + ";w=" + std::to_string(window));
  response.headers.add("RateLimit", "\"" + std::string(policy) + "\";r=" + std::to_string(d.remaining) +
                                        ";t=" + std::to_string(ceilSeconds(d.reset)));
}

std::optional<http::Response> rateLimit(const snap::LocalRateLimit& limit, LocalRateLimiter& limiter,
                                        const RequestContext& ctx) {
  std::string key;
  if (limit.key == snap::LocalRateLimit::Key::ClientAddress) {
    key = ctx.client.address().to_string();
  } else if (limit.key == snap::LocalRateLimit::Key::Header) {
    // Requests without the header share one bucket.
    if (const std::string* value = ctx.request.headers.find(limit.header)) key = *value;
  }
  const LocalRateLimiter::Decision d = limiter.acquire(key, LocalRateLimiter::Clock::now());
  if (d.allowed) return std::nullopt;
  http::Response response = ctx.grpc ? grpcAnswer(static_cast<uint8_t>(GrpcStatus::ResourceExhausted),
                                                  "gateway: rate limited")
                                     : localResponse(429);
  addRateLimitHeaders(limit, d, response);
  response.headers.add("Retry-After", std::to_string(std::max<uint64_t>(1, ceilSeconds(d.retry_after))));
  return response;
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
  if (policies.empty()) return std::nullopt;
  if (const auto& index = policies.local_rate_limit) {
    const auto& limiters = ctx.generation->local_rate_limiters;
    if (*index < limiters.size())
      if (auto answer = rateLimit(ctx.generation->snapshot->local_rate_limits[*index], *limiters[*index], ctx))
        return answer;
  }
  if (policies.fault)
    if (auto answer = fault(worker, *policies.fault, ctx)) return answer;
  return std::nullopt;
}

boost::asio::awaitable<void> waitFaultDelay(Worker& worker, RequestContext& ctx) {
  if (!ctx.fault_delay) co_return;
  boost::asio::steady_timer timer(worker.io());
  timer.expires_after(*ctx.fault_delay);
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace gatehouse::dataplane::policies
