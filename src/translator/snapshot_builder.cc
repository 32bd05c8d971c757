// The snapshot: one socket per (address, port) with its usable listeners, most specific
// hostname first, and the cluster table. A port whose listeners differ in kind (HTTPS, TLS
// Terminate and TLS Passthrough, by hostname) is one SniDispatch socket.
#include <algorithm>
#include <tuple>

#include "translator/state.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

// How a usable listener's protocol is served on a socket of its own.
std::pair<snap::Transport, snap::ListenerKind> socketRole(const model::Listener& spec) {
  if (spec.protocol == "HTTPS") return {snap::Transport::Tls, snap::ListenerKind::HttpConnectionManager};
  if (spec.protocol == "TLS")
    return spec.tls && spec.tls->mode == "Passthrough"
               ? std::pair{snap::Transport::Tcp, snap::ListenerKind::TlsPassthrough}
               : std::pair{snap::Transport::Tls, snap::ListenerKind::TcpProxy};
  if (spec.protocol == "TCP") return {snap::Transport::Tcp, snap::ListenerKind::TcpProxy};
  if (spec.protocol == "UDP") return {snap::Transport::Udp, snap::ListenerKind::UdpProxy};
  return {snap::Transport::Tcp, snap::ListenerKind::HttpConnectionManager};
}

bool startsWithClientHello(snap::Transport transport, snap::ListenerKind kind) {
  return transport == snap::Transport::Tls || kind == snap::ListenerKind::TlsPassthrough ||
         kind == snap::ListenerKind::SniDispatch;
}

}  // namespace

snap::SnapshotPtr Translator::State::buildSnapshot() {
  auto snapshot = std::make_shared<snap::Snapshot>();
  snapshot->version = view->revision;
  std::map<std::tuple<std::string, int64_t, bool>, snap::Socket> sockets;  // UDP shares port numbers with TCP
  for (auto& [key, gw] : gateways) {
    if (!gw.accepted || gw.address.empty()) continue;
    for (auto& ls : gw.listeners) {
      if (!ls.usable) continue;
      const model::Listener& spec = *ls.spec;
      const auto [transport, kind] = socketRole(spec);
      snap::Socket& socket = sockets[{gw.address, spec.port, transport == snap::Transport::Udp}];
      if (socket.listeners.empty()) {
        socket.address = gw.address;
        socket.port = static_cast<uint16_t>(spec.port);
        socket.transport = transport;
        socket.kind = kind;
      } else if (socket.transport != transport || socket.kind != kind) {
        // Listeners of different kinds share a port only when each starts with a ClientHello
        // (HTTPS, TLS Terminate, TLS Passthrough; listenerConflict() refuses every other mix):
        // the SNI picks the listener.
        if (!startsWithClientHello(socket.transport, socket.kind) || !startsWithClientHello(transport, kind)) continue;
        socket.transport = snap::Transport::Tcp;
        socket.kind = snap::ListenerKind::SniDispatch;
      }
      snap::Listener listener;
      listener.gateway = key;
      listener.name = ls.owner.kind == "Gateway" ? spec.name : ls.owner.ns + "/" + ls.owner.name + "/" + spec.name;
      listener.hostname = spec.hostname;
      listener.certificates = ls.certificates;
      listener.client_validation = ls.client_validation;
      listener.hosts = kind == snap::ListenerKind::HttpConnectionManager ? ls.tables.hosts.table() : ls.tables.l4.table();
      listener.kind = kind;
      listener.policies = policy_attachments.forListener(key, ls.owner.kind, ls.owner.ns, ls.owner.name, spec.name);
      listener.backend_client_certificate = gw.backend_client_certificate;  // ListenerSets' listeners too
      listener.metrics = gw.metrics;
      socket.listeners.push_back(std::move(listener));
    }
  }
  for (auto& [k, socket] : sockets) {
    // Most specific listener hostname first: exact, then longer wildcards, then any.
    std::stable_sort(socket.listeners.begin(), socket.listeners.end(), [](const auto& a, const auto& b) {
      auto rank = [](const std::string& h) { return h.empty() ? 2 : h[0] == '*' ? 1 : 0; };
      if (rank(a.hostname) != rank(b.hostname)) return rank(a.hostname) < rank(b.hostname);
      return a.hostname.size() > b.hostname.size();
    });
    snapshot->sockets.push_back(std::move(socket));
  }
  snapshot->clusters = backends.table();
  snapshot->local_rate_limits = policy_attachments.localRateLimits();
  snapshot->global_rate_limits = policy_attachments.globalRateLimits();
  return snapshot;
}

}  // namespace gatehouse::translator
