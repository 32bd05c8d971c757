#pragma once
// The connection handlers of the L4 listener kinds: TcpProxy (TCPRoute; over a Tls socket:
// TLSRoute of a TLS listener in mode Terminate, routed by the handshake's SNI, plaintext to the
// backend), TlsPassthrough (TLSRoute; routed by the ClientHello's SNI, which is replayed to the
// backend) and SniDispatch (HTTPS, TLS Terminate and TLS Passthrough listeners on one port: the
// ClientHello's SNI picks the listener; a terminating one gets the socket with the hello
// replayed into its TLS stream). Each picks one of the serving route's weighted backends, connect to an endpoint of it (connect timeout, the next
// endpoint on failure) and then copy bytes both ways until both sides have closed:
//   - a FIN from one side is passed on as a FIN (shutdown of the write side) to the other, which
//     may keep sending (half-close);
//   - an error or reset on either side closes both;
//   - no byte either way for Timeouts::tcp_idle closes both;
//   - each direction reads into one worker buffer (Limits::read_buffer_bytes) and reads again
//     only once it was written out: a slow reader holds the writer back (TCP flow control),
//     memory stays bounded. A plain-socket direction reads into a 512-byte probe of its
//     own and borrows the buffer only while reads fill what they were offered: idle, it holds none.
// The generation is pinned only until the backend is connected: an established connection keeps
// its backend across configuration changes that still serve it (same listener, route and
// backend Service port). When its socket goes away (listener removed), or a new configuration
// no longer routes it there (route, or that backend of it, removed), it is closed after
// Timeouts::l4_drain; a configuration that serves it again before then keeps it.
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace gatehouse::dataplane {

class Worker;
namespace net {
class Acceptor;
}

// Worker thread only.
void startTcpProxy(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket);
void startTlsPassthrough(Worker& worker, std::shared_ptr<net::Acceptor> acceptor,
                         boost::asio::ip::tcp::socket socket);
void startSniDispatch(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket);

}  // namespace gatehouse::dataplane
