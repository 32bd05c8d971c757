#pragma once
// One request, in phases, for every HTTP codec (HTTP/1.1 and HTTP/2):
//
//   normalise -> route -> request filters -> upstream selection -> exchange (retries: retry.h)
//   -> response filters -> log
//
// A codec parses its wire format into RequestContext::request, runs runRequestPhases(), and then
// either writes the local answer it returns (an error or a redirect) or exchanges the request
// with ctx.endpoint: HTTP/1.1 relays the body itself to an HTTP/1.1 upstream; HTTP/2, and HTTP/1.1
// to an h2c upstream, stream it through openStreamingExchange().
// It applies applyResponsePhase() to the response head and calls logPhase() once the response
// ended. Codecs own only wire formats, framing and connection state; every routing and
// filtering decision is made here once.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "dataplane/http/message.h"
#include "dataplane/proxy_error.h"
#include "dataplane/pipeline/request_context.h"
#include "dataplane/upstream/exchange.h"
#include "dataplane/upstream/streaming.h"

namespace gatehouse::dataplane {

class Worker;

// Called once per request after its response ended or failed: where metrics, access logs and
// traces plug in. Worker thread; must not block.
using RequestLogHook = std::function<void(const RequestContext&)>;

// normalise .. upstream selection. nullopt: the request goes upstream (ctx.rule, ctx.backend,
// ctx.cluster, ctx.endpoint, ctx.deadline and ctx.mirrors are set and the request filters have
// been applied). Otherwise the answer to write: ctx.error says which failure, or none for a
// redirect. `socket_identity`: the snapshot Socket the connection was accepted on.
// A request under a global rate limit needs a round trip to Redis: the phases stop there with
// ctx.phases_pending set, and the codec co_awaits runPendingPhases() for the rest. Every other
// request runs without a coroutine frame.
std::optional<http::Response> runRequestPhases(Worker& worker, std::string_view socket_identity, RequestContext& ctx);
boost::asio::awaitable<std::optional<http::Response>> runPendingPhases(Worker& worker, RequestContext& ctx);

// The text/plain answer the gateway writes for `status` ("Not Found\n").
http::Response localResponse(uint16_t status);
// The answer to a request that failed with `error`: localResponse(error.status()), or for a gRPC
// request the trailers-only gRPC answer (pipeline/grpc.h).
http::Response errorResponse(const RequestContext& ctx, const ProxyError& error);

// The response phase: the RateLimit headers of the quota the request was admitted under, then
// response filters, the rule's and the backendRef's (which can remove those headers).
// changesResponse() lets a codec keep its fast path (copying the upstream head through) when
// there is nothing to apply; hasResponseFilters() says whether a filter reads the request.
bool hasResponseFilters(const RequestContext& ctx);
bool changesResponse(const RequestContext& ctx);
void applyResponsePhase(const RequestContext& ctx, http::Response& response);

// The exchange with ctx.endpoint as a streamed one (upstream/streaming.h), over HTTP/1.1 or h2c
// by the cluster's protocol (gRPC requests always over h2c: gRPC needs HTTP/2); the request head
// is on its way when it returns. Each attempt puts its trace context into `request`'s headers
// (observe/tracing.h). Deadline: ctx.deadline for the whole exchange; each wait for the upstream
// is bounded by body_idle.
boost::asio::awaitable<std::optional<ProxyError>> openStreamingExchange(
    Worker& worker, RequestContext& ctx, upstream::StreamedRequest& request,
    std::shared_ptr<upstream::StreamingExchange>& exchange);

// The exchange with retries (pipeline/retry.h) of a request whose whole body is at hand (`body`,
// at most kMaxReplayBody, then `trailers`): each attempt opens a streamed exchange, sends the body
// and reads the response head into `head`. `exchange` is the current attempt's (the codec
// cancels it when the client goes away, and then sets `abandoned`). nullopt: `head` is the
// response, to be forwarded from `exchange`; else the last attempt's error.
boost::asio::awaitable<std::optional<ProxyError>> exchangeReplayable(
    Worker& worker, RequestContext& ctx, upstream::StreamedRequest& request, const std::string& body,
    const http::Headers& trailers, std::shared_ptr<upstream::StreamingExchange>& exchange,
    upstream::StreamedResponseHead& head, const bool& abandoned);

// The last phase: records the final status (and error, when ctx.error is unset and `error` is
// given), counts the request in the worker's metrics, writes its access log line (when on) and
// calls the worker's log hook.
void logPhase(Worker& worker, RequestContext& ctx, uint16_t status, std::optional<ProxyError> error = std::nullopt);

}  // namespace gatehouse::dataplane
