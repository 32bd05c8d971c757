#pragma once
// Counting downstream TLS handshakes (gatehouse_tls_handshakes_total and
// gatehouse_tls_handshake_failures_total{reason}) where a codec runs them: the HTTP connection
// manager and TLSRoute termination.
#include <boost/system/error_code.hpp>

#include "dataplane/observe/request_metrics.h"

namespace gatehouse::dataplane::observe {

// The reason of a failed handshake: `ec` as tls::Stream::async_handshake reports it, and whether
// the connection's handshake deadline had passed (its timer closes the socket).
TlsHandshakeFailure tlsHandshakeFailureOf(const boost::system::error_code& ec, bool timed_out);

// Counts one handshake that ended with `ec` in `counts` (the connection's; null: not counted).
void countTlsHandshake(ConnectionCounts* counts, const boost::system::error_code& ec, bool timed_out);

}  // namespace gatehouse::dataplane::observe
