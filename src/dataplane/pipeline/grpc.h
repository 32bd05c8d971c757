#pragma once
// gRPC requests (content-type application/grpc, application/grpc+proto, ...) in the request
// pipeline: the answers the gateway writes itself are gRPC-shaped (HTTP 200, trailers-only, a
// grpc-status a gRPC client understands), and `grpc-timeout` bounds the exchange.
#include <chrono>
#include <optional>
#include <string_view>

#include "dataplane/http/message.h"
#include "dataplane/proxy_error.h"

namespace gatehouse::dataplane {

bool isGrpcRequest(const http::Request& request);

// gRPC status codes (grpc/doc/statuscodes.md) the gateway answers with.
enum class GrpcStatus : uint8_t {
  Internal = 13,
  Unimplemented = 12,
  Unavailable = 14,
  DeadlineExceeded = 4,
  ResourceExhausted = 8,
};

// No route: UNIMPLEMENTED; no usable backend (GRPCRoute spec), no endpoint, connect failure or a
// broken response: UNAVAILABLE; timeout: DEADLINE_EXCEEDED; too large: RESOURCE_EXHAUSTED;
// a malformed request: INTERNAL.
GrpcStatus grpcStatusFor(const ProxyError& error);

// The trailers-only answer: ":status 200", content-type application/grpc, grpc-status and
// grpc-message, no body.
http::Response grpcLocalResponse(const ProxyError& error);

// The grpc-timeout value ("<1-8 digits><H|M|S|m|u|n>"), or nullopt when malformed.
std::optional<std::chrono::nanoseconds> parseGrpcTimeout(std::string_view value);

}  // namespace gatehouse::dataplane
