#pragma once
// Whether two listeners of one Gateway can be served together (the Gateway API's "Distinct
// Listeners" and "Compatible Listeners", ListenerSpec in the v1.6.1 CRD):
// - listeners on different ports, or one UDP and one on TCP (HTTP, HTTPS, TLS, TCP), never
//   conflict: they are different sockets;
// - HTTP, HTTPS and TLS listeners on one port are distinct by hostname; HTTPS and TLS may share a
//   port (both start with a TLS ClientHello, told apart by SNI: TLSRouteModeMixed), HTTP cannot
//   share one with either (ProtocolConflict);
// - TCP and UDP listeners are distinct only by port, and "all the Listeners that share a port
//   with the TCP Listener are not distinct".
#include "model/types/gateway.h"

namespace gatehouse::translator {

// nullptr when `a` and `b` are compatible; otherwise the listener reason (ProtocolConflict or
// HostnameConflict).
const char* listenerConflict(const model::Listener& a, const model::Listener& b);

}  // namespace gatehouse::translator
