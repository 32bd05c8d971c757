#include "dataplane/upstream/connector.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dataplane/tls/server_context.h"

namespace gatehouse::dataplane::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::optional<tcp::endpoint> socketAddress(const snapshot::Endpoint& endpoint) {
  switch (endpoint.family) {
    case snapshot::Endpoint::Family::V4: {
      asio::ip::address_v4::bytes_type bytes;
      std::copy_n(endpoint.address.begin(), bytes.size(), bytes.begin());
      return tcp::endpoint(asio::ip::address_v4(bytes), endpoint.port);
    }
    case snapshot::Endpoint::Family::V6:
      return tcp::endpoint(asio::ip::address_v6(endpoint.address), endpoint.port);
    case snapshot::Endpoint::Family::Invalid:
      break;
  }
  return std::nullopt;
}

asio::awaitable<error_code> connect(tcp::socket& socket, const snapshot::Endpoint& endpoint) {
  const std::optional<tcp::endpoint> address = socketAddress(endpoint);
  if (!address) co_return asio::error::host_not_found;
  auto [ec] = co_await socket.async_connect(*address, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    error_code ignored;
    socket.close(ignored);
    co_return ec;
  }
  socket.set_option(tcp::no_delay(true), ec);
  co_return error_code{};
}

error_code handshakeFailed() { return make_error_code(boost::system::errc::protocol_error); }

asio::awaitable<error_code> connect(Connection& connection, const snapshot::Endpoint& endpoint,
                                    const tls::UpstreamContext* tls, tls::UpstreamContext::Alpn alpn) {
  if (error_code ec = co_await connect(connection.socket(), endpoint)) co_return ec;
  if (tls == nullptr) co_return error_code{};
  SSL* ssl = tls->newSsl(alpn, endpoint.ip + ":" + std::to_string(endpoint.port));
  if (ssl == nullptr) {
    error_code ignored;
    connection.close(ignored);
    co_return handshakeFailed();
  }
  connection.startTls(ssl);
  auto [ec] = co_await connection.async_handshake(asio::as_tuple(asio::use_awaitable));
  if (!ec && (alpn != tls::UpstreamContext::Alpn::H2 || tls::alpnProtocol(connection.ssl()) == "h2")) {
    co_return error_code{};
  }
  const long verify = SSL_get_verify_result(connection.ssl());
  spdlog::debug("upstream TLS handshake with {}:{} failed: {} (certificate: {})", endpoint.ip, endpoint.port,
                ec ? ec.message() : "h2 not agreed (ALPN)", X509_verify_cert_error_string(verify));
  error_code ignored;
  connection.close(ignored);
  co_return ec == asio::error::operation_aborted ? ec : handshakeFailed();
}

}  // namespace gatehouse::dataplane::upstream
