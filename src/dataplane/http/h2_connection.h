#pragma once
// Downstream HTTP/2 cleartext with prior knowledge (RFC 9113 §3.3), with libnghttp2: a plain
// listener's connection that opens with the HTTP/2 connection preface is handed over from the
// HTTP/1.1 codec to this one. Each stream becomes a RequestContext, runs the same request pipeline
// as an HTTP/1.1 request (pipeline/pipeline.h), and goes upstream as a streamed exchange
// (upstream/streaming.h; HTTP/1.1 or h2c, per the cluster's protocol) as soon as its head is
// complete. Bodies stream both ways under flow control: the request body re-opens the client's
// windows only as the upstream takes it, and the upstream is read only while the stream's 64 KiB
// response buffer has room (the client's windows drain it). Trailers pass both ways. No
// Upgrade: h2c. Over TLS (ALPN "h2") the same
// codec runs on a tls::Stream, and a request whose :authority selects another listener of the
// socket than the SNI did gets 421 Misdirected Request.
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string_view>

#include "dataplane/tls/stream.h"


namespace gatehouse::http {

enum class PrefaceMatch : uint8_t { No, Partial, Full };

// Whether `received` starts with the HTTP/2 client connection preface ("PRI * HTTP/2.0\r\n\r\n
// SM\r\n\r\n"): Partial when it holds a proper prefix of it (more bytes are needed to tell).
PrefaceMatch matchH2Preface(std::string_view received);

}  // namespace gatehouse::http

namespace gatehouse::dataplane {

class Worker;
namespace net {
class Acceptor;
}

// Worker thread only. `received`: the bytes already read from the socket (the preface first).
void startH2Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, boost::asio::ip::tcp::socket socket,
                       std::string_view received);
// A TLS connection whose handshake chose ALPN "h2".
void startH2Connection(Worker& worker, std::shared_ptr<net::Acceptor> acceptor, tls::Stream stream);

}  // namespace gatehouse::dataplane
