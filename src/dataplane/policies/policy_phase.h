#pragma once
// The policy phase, right after routing (pipeline.h): Gatehouse's policies in effect on the
// request, member by member the rule's, else its listener's (snapshot::Policies). In order:
//   - the local rate limit: over the limit, 429 (gRPC: RESOURCE_EXHAUSTED) with the IETF draft
//     headers RateLimit-Policy and RateLimit, and Retry-After (local_rate_limiter.h); under it,
//     the upstream's response gets the RateLimit headers (the limit with the fewest left);
//   - the global rate limit, asked of Redis (global_rate_limiter.h): over it, the same 429; when
//     Redis gives no decision, failureMode Open lets the request on, Closed answers 503 (gRPC:
//     UNAVAILABLE);
//   - fault injection: abort (the policy's HTTP status, or its grpc-status for a gRPC request)
//     or delay, each drawn with its percentage; the delay is waited for before the first upstream
//     attempt (ctx.fault_delay).
#include <boost/asio/awaitable.hpp>

#include <optional>

#include "dataplane/http/message.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane {
class Worker;
}

namespace gatehouse::dataplane::policies {

// The policy phase up to the global rate limit. nullopt: the request goes on, or, with
// ctx.phases_pending set, must still pass applyGlobalPolicies(); else the answer to write.
std::optional<http::Response> applyRequestPolicies(Worker& worker, RequestContext& ctx);
// The rest of the phase for a request applyRequestPolicies() left pending: the global rate
// limit (a round trip to Redis), then fault injection.
boost::asio::awaitable<std::optional<http::Response>> applyGlobalPolicies(Worker& worker, RequestContext& ctx);

// The RateLimit-Policy and RateLimit headers of `quota` (a 429 adds Retry-After; an admitted
// request's response gets them in the response phase).
void addRateLimitHeaders(const RateLimitQuota& quota, http::Headers& headers);

// Waits out ctx.fault_delay, if any: a codec calls it once the request phases let the request
// through, before it opens the exchange, and only when ctx.fault_delay is set (a coroutine frame
// less per request otherwise). The delay counts toward the rule's timeouts, as a slow backend's
// time would.
boost::asio::awaitable<void> waitFaultDelay(Worker& worker, RequestContext& ctx);

}  // namespace gatehouse::dataplane::policies
