#pragma once
// The textual form of an IP address without allocating: formatted per request (X-Forwarded-For,
// access log), where asio's to_string() (inet_ntop and stdio, a std::string) cost ~1.9k
// instructions.
#include <boost/asio/ip/address.hpp>

#include <string_view>

namespace gatehouse::dataplane::net {

// `address` as text in `out`; IPv4 by hand, IPv6 through inet_ntop.
std::string_view addressText(const boost::asio::ip::address& address, char (&out)[64]);

}  // namespace gatehouse::dataplane::net
