#pragma once
// The connection handlers of the L4 listener kinds: TcpProxy (TCPRoute) and TlsPassthrough
// (TLSRoute; routed by the ClientHello's SNI, which is replayed to the backend). Both pick one of
// the serving route's weighted backends, connect to an endpoint of it (connect timeout, the next
// endpoint on failure) and then copy bytes both ways until both sides have closed:
//   - a FIN from one side is passed on as a FIN (shutdown of the write side) to the other, which
//     may keep sending (half-close);
//   - an error or reset on either side closes both;
//   - no byte either way for Timeouts::tcp_idle closes both;
//   - each direction holds one read buffer (Limits::read_buffer_bytes) and reads again only once
//     it was written out: a slow reader holds the writer back (TCP flow control), memory stays
//     bounded.
// The generation is pinned only until the backend is connected: an established connection keeps
// its backend whatever the configuration does later. When its socket goes away (listener
// removed) it is closed after Timeouts::l4_drain.
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

}  // namespace gatehouse::dataplane
