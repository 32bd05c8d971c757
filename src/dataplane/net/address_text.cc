#include "dataplane/net/address_text.h"

#include <arpa/inet.h>

#include <cstring>

namespace gatehouse::dataplane::net {

std::string_view addressText(const boost::asio::ip::address& address, char (&out)[64]) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    char* p = out;
    for (size_t i = 0; i < 4; ++i) {
      const unsigned v = bytes[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 3) *p++ = '.';
    }
    return std::string_view(out, static_cast<size_t>(p - out));
  }
  const auto bytes = address.to_v6().to_bytes();
  if (::inet_ntop(AF_INET6, bytes.data(), out, sizeof out) == nullptr) return {};
  return std::string_view(out, std::strlen(out));
}

}  // namespace gatehouse::dataplane::net
