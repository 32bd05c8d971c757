#pragma once
// The error_type label / upstream_failure field of a failure, from its ProxyError kind.
#include <string_view>

#include "dataplane/proxy_error.h"

namespace gatehouse::dataplane::observe {

// OpenTelemetry's fallback when nothing more specific is known (e.g. the client went away).
inline constexpr std::string_view kOtherError = "_OTHER";

// "timeout", "connection_refused" (every connect failure: refused, unreachable, connect
// timeout), "bad_response", ...; the downstream and internal kinds by errorKindName().
inline std::string_view errorTypeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::ConnectFailed: return "connection_refused";
    case ErrorKind::TimedOut: return "timeout";
    default: return errorKindName(kind);
  }
}

}  // namespace gatehouse::dataplane::observe
