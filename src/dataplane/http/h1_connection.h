#pragma once
// Downstream HTTP/1.1 connections: read a request head under limits and timeouts, route it on the
// generation current when the request starts, answer locally (404/500/503/redirect/parser
// errors) or proxy it through a pooled upstream connection; keep-alive and pipelining in order;
// WebSocket upgrades become a byte splice. See docs/design/event-loop.md; the implementation's
// parts are listed in h1_connection_impl.h.
#include <boost/asio/ip/tcp.hpp>

#include <memory>

#include "dataplane/tls/server_context.h"
#include "dataplane/tls/stream.h"

namespace gatehouse::dataplane {

class Worker;
namespace net {
class Acceptor;
}

// Worker thread only. The connection owns itself (it lives until it closes).
void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket);
// TLS: the handshake runs first; ALPN "h2" hands the stream to the HTTP/2 codec.
void startH1Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tls::Stream stream,
                       std::shared_ptr<const tls::SocketTls> tls);

}  // namespace gatehouse::dataplane
