#pragma once
// Header fields that never cross a proxy hop, for every codec and upstream client
// (upstream::isConnectionSpecific is this one).
#include <string_view>

#include "dataplane/http/message.h"

namespace gatehouse::http {

// True for fields that never cross a proxy (RFC 9110 7.6.1) plus the framing fields the proxy
// writes itself (content-length, transfer-encoding) and host.
bool isConnectionSpecific(std::string_view name);

}  // namespace gatehouse::http
