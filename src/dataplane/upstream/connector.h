#pragma once
// The one way the data plane opens a connection to an upstream endpoint (HTTP/1.1 relay, buffered
// exchanges, h2c sessions, mirrors). The endpoint's address was parsed when the snapshot was built
// (snapshot::Endpoint::address), so connecting parses no text. Deadlines stay with the caller:
// each path cancels the socket its own way (per-connection timer, SocketDeadline, session timer).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dataplane/tls/upstream_context.h"
#include "dataplane/upstream/connection.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::upstream {

// The endpoint as a socket address; nullopt for an endpoint whose ip did not parse.
std::optional<boost::asio::ip::tcp::endpoint> socketAddress(const snapshot::Endpoint& endpoint);

// Connects `socket` (closed) to `endpoint` and sets TCP_NODELAY. On failure the socket is closed;
// an endpoint whose ip did not parse fails with host_not_found.
boost::asio::awaitable<boost::system::error_code> connect(boost::asio::ip::tcp::socket& socket,
                                                          const snapshot::Endpoint& endpoint);

// The same for `connection` (closed), then, with `tls`, the TLS handshake offering `alpn`. A
// handshake that fails (the backend's certificate does not verify, no common version, the
// backend hangs up, or it does not agree to h2 when that is what is offered) yields
// handshakeFailed(); a deadline that cancels it, operation_aborted.
boost::asio::awaitable<boost::system::error_code> connect(
    Connection& connection, const snapshot::Endpoint& endpoint, const tls::UpstreamContext* tls,
    tls::UpstreamContext::Alpn alpn = tls::UpstreamContext::Alpn::Http11);

// The error of a failed upstream TLS handshake: a bad gateway (502), unlike a failed connect (503).
boost::system::error_code handshakeFailed();

}  // namespace gatehouse::dataplane::upstream
