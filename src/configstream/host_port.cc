#include "configstream/host_port.h"

#include <charconv>

namespace gatehouse::configstream {

Result<HostPort> parseHostPort(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return Error{"\"" + std::string(text) + "\" is not HOST:PORT"};
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 || host.empty())
    return Error{"\"" + std::string(text) + "\" is not HOST:PORT"};
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace gatehouse::configstream
