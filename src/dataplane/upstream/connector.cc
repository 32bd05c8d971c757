#include "dataplane/upstream/connector.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

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

}  // namespace gatehouse::dataplane::upstream
