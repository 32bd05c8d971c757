#pragma once
// The HTTP connection manager: the connection handler of ListenerKind::HttpConnectionManager
// sockets. A plain connection starts as HTTP/1.1 (and becomes HTTP/2 on the prior-knowledge
// preface); a TLS one gets the certificates of the socket in the worker's current generation, and
// after the handshake speaks HTTP/1.1 or HTTP/2 as ALPN chose. Both codecs run the request
// pipeline of pipeline/pipeline.h.
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace gatehouse::dataplane {

class Worker;
namespace net {
class Acceptor;
}

// Worker thread only.
void startHttpConnection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket);

}  // namespace gatehouse::dataplane
