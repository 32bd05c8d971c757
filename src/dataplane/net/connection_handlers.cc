// The listener kinds this data plane accepts TCP connections for, and the handler of each: a new
// kind is one handler plus one entry here.
#include <array>
#include <utility>

#include "dataplane/http/connection_manager.h"
#include "dataplane/l4/l4_proxy.h"
#include "dataplane/net/acceptor.h"

namespace gatehouse::dataplane::net {

namespace {

using snapshot::ListenerKind;

constexpr std::array<std::pair<ListenerKind, ConnectionHandler>, 4> kHandlers{{
    {ListenerKind::HttpConnectionManager, &startHttpConnection},
    {ListenerKind::TcpProxy, &startTcpProxy},
    {ListenerKind::TlsPassthrough, &startTlsPassthrough},
    {ListenerKind::SniDispatch, &startSniDispatch},
}};

}  // namespace

ConnectionHandler connectionHandlerFor(ListenerKind kind) {
  for (const auto& [served, handler] : kHandlers) {
    if (served == kind) return handler;
  }
  return nullptr;
}

}  // namespace gatehouse::dataplane::net
