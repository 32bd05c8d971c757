#include "dataplane/proxy_error.h"

namespace gatehouse::dataplane {

ProxyError ProxyError::of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest:
    case ErrorKind::InvalidPath:
    case ErrorKind::RequestTooLarge:
      return {kind, ErrorSide::Downstream, false};
    case ErrorKind::NoListener:
    case ErrorKind::NoRoute:
    case ErrorKind::Misdirected:
    case ErrorKind::InvalidBackend:
    case ErrorKind::NoEndpoint:
      return {kind, ErrorSide::Internal, false};
    case ErrorKind::ConnectFailed:
      return {kind, ErrorSide::Upstream, true};
    case ErrorKind::TimedOut:
    case ErrorKind::BadResponse:
    case ErrorKind::ResponseTooLarge:
      return {kind, ErrorSide::Upstream, false};
  }
  return {kind, ErrorSide::Internal, false};
}

uint16_t ProxyError::status() const {
  switch (kind) {
    case ErrorKind::BadRequest:
    case ErrorKind::InvalidPath: return 400;
    case ErrorKind::NoListener:
    case ErrorKind::NoRoute: return 404;
    case ErrorKind::Misdirected: return 421;
    case ErrorKind::InvalidBackend: return 500;
    case ErrorKind::NoEndpoint:
    case ErrorKind::ConnectFailed: return 503;
    case ErrorKind::RequestTooLarge: return 413;
    case ErrorKind::TimedOut: return 504;
    case ErrorKind::BadResponse:
    case ErrorKind::ResponseTooLarge: return 502;
  }
  return 500;
}

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::BadRequest: return "bad_request";
    case ErrorKind::InvalidPath: return "invalid_path";
    case ErrorKind::NoListener: return "no_listener";
    case ErrorKind::NoRoute: return "no_route";
    case ErrorKind::Misdirected: return "misdirected";
    case ErrorKind::InvalidBackend: return "invalid_backend";
    case ErrorKind::NoEndpoint: return "no_endpoint";
    case ErrorKind::RequestTooLarge: return "request_too_large";
    case ErrorKind::ConnectFailed: return "connect_failed";
    case ErrorKind::TimedOut: return "timed_out";
    case ErrorKind::BadResponse: return "bad_response";
    case ErrorKind::ResponseTooLarge: return "response_too_large";
  }
  return "unknown";
}

}  // namespace gatehouse::dataplane
