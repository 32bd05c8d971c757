#include "dataplane/pipeline/grpc.h"

#include <limits>
#include <string>

namespace gatehouse::dataplane {

bool isGrpcRequest(const http::Request& request) {
  const std::string* type = request.headers.find("content-type");
  if (type == nullptr) return false;
  constexpr std::string_view kGrpc = "application/grpc";
  if (type->size() < kGrpc.size() || !http::equalsIgnoreCase(std::string_view(*type).substr(0, kGrpc.size()), kGrpc))
    return false;
  // "application/grpc-web" is another protocol (HTTP/1.1-compatible framing).
  return type->size() == kGrpc.size() || (*type)[kGrpc.size()] == '+' || (*type)[kGrpc.size()] == ';';
}

GrpcStatus grpcStatusFor(const ProxyError& error) {
  switch (error.kind) {
    case ErrorKind::NoListener:
    case ErrorKind::NoRoute: return GrpcStatus::Unimplemented;
    case ErrorKind::Misdirected:
    case ErrorKind::InvalidBackend:
    case ErrorKind::NoEndpoint:
    case ErrorKind::ConnectFailed:
    case ErrorKind::BadResponse: return GrpcStatus::Unavailable;
    case ErrorKind::TimedOut: return GrpcStatus::DeadlineExceeded;
    case ErrorKind::RequestTooLarge:
    case ErrorKind::ResponseTooLarge: return GrpcStatus::ResourceExhausted;
    case ErrorKind::BadRequest:
    case ErrorKind::InvalidPath: break;
  }
  return GrpcStatus::Internal;
}

http::Response grpcLocalResponse(const ProxyError& error) {
  http::Response response;
  response.status = 200;
  response.headers.add("content-type", "application/grpc");
  response.headers.add("grpc-status", std::to_string(static_cast<int>(grpcStatusFor(error))));
  // grpc-message is percent-encoded text; the names of errorKindName need no encoding.
  response.headers.add("grpc-message", "gateway: " + std::string(errorKindName(error.kind)));
  return response;
}

std::optional<std::chrono::nanoseconds> parseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t amount = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    amount = amount * 10 + (c - '0');
  }
  int64_t unit_ns = 0;
  switch (value.back()) {
    case 'H': unit_ns = 3'600'000'000'000; break;
    case 'M': unit_ns = 60'000'000'000; break;
    case 'S': unit_ns = 1'000'000'000; break;
    case 'm': unit_ns = 1'000'000; break;
    case 'u': unit_ns = 1'000; break;
    case 'n': unit_ns = 1; break;
    default: return std::nullopt;
  }
  // 99999999H does not fit in int64 nanoseconds: such a timeout is as good as none.
  if (amount > std::numeric_limits<int64_t>::max() / unit_ns) return std::chrono::nanoseconds::max();
  return std::chrono::nanoseconds(amount * unit_ns);
}

}  // namespace gatehouse::dataplane
