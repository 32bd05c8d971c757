#pragma once
// "HOST:PORT" and "[v6]:PORT", as the config stream's flags take them.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gatehouse::configstream {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

Result<HostPort> parseHostPort(std::string_view text);

}  // namespace gatehouse::configstream
