// The listener kinds this data plane serves, and the handler of each: a new kind (TLS
// passthrough, TCP proxy, ...) is one handler plus one entry here.
#include <array>
#include <utility>

#include "dataplane/http/connection_manager.h"
#include "dataplane/net/acceptor.h"

namespace gatehouse::dataplane::net {

namespace {

using snapshot::ListenerKind;

constexpr std::array<std::pair<ListenerKind, ConnectionHandler>, 1> kHandlers{{
    {ListenerKind::HttpConnectionManager, &startHttpConnection},
}};

}  // namespace

ConnectionHandler connectionHandlerFor(ListenerKind kind) {
  for (const auto& [served, handler] : kHandlers) {
    if (served == kind) return handler;
  }
  return nullptr;
}

}  // namespace gatehouse::dataplane::net
