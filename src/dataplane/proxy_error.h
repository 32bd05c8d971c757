#pragma once
// The one error type that crosses the request phases (normalise, route, filters, upstream
// selection, exchange, response): what went wrong, on which side, and whether the request may be
// sent again. The codec turns it into a status (status()); the log hook sees it, which is where
// metrics, access logs and retries plug in.
#include <cstdint>
#include <optional>
#include <string_view>

namespace gatehouse::dataplane {

enum class ErrorKind : uint8_t {
  // The request could not be read or is not served: its status says which (400 malformed, 408
  // header timeout, 431 header too large, 501 CONNECT or OPTIONS *).
  BadRequest,
  InvalidPath,          // the request-target cannot be normalised or is refused by PathSettings: 400
  NoListener,           // no listener of the socket (or none left in this generation): 404
  NoRoute,              // no route matched: 404
  Misdirected,          // TLS server name selected another listener than the Host: 421
  InvalidBackend,       // the rule has no usable backend (invalid backendRef, no weight): 500
  NoEndpoint,           // the backend has no ready endpoint: 503
  RequestTooLarge,      // a buffered request body is over its limit: 413
  ConnectFailed,        // refused, unreachable, or the connect timeout: 503
  TimedOut,             // the rule's timeout or the exchange deadline: 504
  BadResponse,          // malformed, reset or closed before the response ended: 502
  ResponseTooLarge,     // a buffered response is over its limit: 502
};

enum class ErrorSide : uint8_t { Downstream, Upstream, Internal };

struct ProxyError {
  ErrorKind kind = ErrorKind::BadResponse;
  ErrorSide side = ErrorSide::Internal;
  // True when nothing reached the upstream that it could have acted on (a retry is safe as far
  // as the upstream is concerned; idempotency is the retry policy's concern).
  bool retryable = false;

  static ProxyError of(ErrorKind kind);
  // The status a proxy answers with.
  uint16_t status() const;
  bool operator==(const ProxyError&) const = default;
};

std::string_view errorKindName(ErrorKind kind);

// What a step that may fail ended with: nothing when it succeeded.
using Outcome = std::optional<ProxyError>;

}  // namespace gatehouse::dataplane
