#pragma once
// The exchange phase's retries (HTTPRoute `retry`, GEP-1731), shared by every codec: whether a
// failed attempt is tried again, the wait before it, and the next attempt's endpoint and
// deadline. The codecs own the attempts themselves (they alone know whether the request can be
// sent again), and call in here between two of them:
//
//   attempt fails -> retryDelay() -> nullopt: answer with this attempt's outcome
//                                 -> delay: drop the attempt, co_await beginRetry(), send again
//
// What is retried, once a rule has `retry`:
// - connection errors: refused, unreachable, connect timeout, and a connection closed or reset
//   before any response byte (even after the request went out: the user opted in, and the
//   echo conformance backend answers failures with a reset; see docs/retries.md);
// - a backend timeout (the rule's backendRequest timeout, else the idle timeout) while the
//   request's own timeout has not passed;
// - a response whose status is in `codes`.
// Never once response bytes went to the client, and only when the request body can be sent again
// (the codecs keep a copy of at most kMaxReplayBody bytes; a larger body is not retried).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/proxy_error.h"
#include "dataplane/pipeline/request_context.h"

namespace gatehouse::dataplane {

class Worker;

// The largest request body kept for a retry (HAProxy's choice too: one buffer of bounded size).
inline constexpr size_t kMaxReplayBody = 64 * 1024;

// True when ctx's rule retries and a body of `size` bytes may be kept to send again.
inline bool retriesBodyOf(const RequestContext& ctx, uint64_t size) {
  return ctx.rule != nullptr && ctx.rule->retry && size <= kMaxReplayBody;
}

// One failed attempt: a response with `status` (error unset), or `error` without one.
struct AttemptOutcome {
  uint16_t status = 0;
  std::optional<ProxyError> error;
};

// The wait before the next attempt, or nullopt when `outcome` is final: the rule does not retry
// it, its attempts are used up, or the request's own deadline would pass during the wait.
std::optional<Clock::duration> retryDelay(Worker& worker, const RequestContext& ctx, const AttemptOutcome& outcome);

// Counts the failed attempt in the client-leg metrics, waits `delay`, then moves ctx to the next
// attempt: another endpoint of the cluster when it has more than one, the attempt's deadline
// (backendRequest timeout from now, within the request's), ctx.retries + 1.
boost::asio::awaitable<void> beginRetry(Worker& worker, RequestContext& ctx, Clock::duration delay,
                                        const AttemptOutcome& outcome);

// The deadline of an attempt starting now: the rule's request timeout (from the request's start)
// or backendRequest timeout (from now), whichever ends first, and a gRPC request's grpc-timeout.
std::optional<Clock::time_point> attemptDeadline(const RequestContext& ctx, Clock::time_point now);

}  // namespace gatehouse::dataplane
