// The snapshot: one socket per (address, port) with its usable listeners, most specific
// hostname first, and the cluster table.
#include <algorithm>

#include "translator/state.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

snap::SnapshotPtr Translator::State::buildSnapshot() {
  auto snapshot = std::make_shared<snap::Snapshot>();
  snapshot->version = view->revision;
  std::map<std::pair<std::string, int64_t>, snap::Socket> sockets;
  for (auto& [key, gw] : gateways) {
    if (!gw.accepted || gw.address.empty()) continue;
    for (auto& ls : gw.listeners) {
      if (!ls.usable) continue;
      const model::Listener& spec = *ls.spec;
      snap::Socket& socket = sockets[{gw.address, spec.port}];
      socket.address = gw.address;
      socket.port = static_cast<uint16_t>(spec.port);
      // Only HTTP and HTTPS listeners are usable so far; TLS, TCP and UDP get their kinds here.
      socket.transport = spec.protocol == "HTTPS" ? snap::Transport::Tls : snap::Transport::Tcp;
      socket.kind = snap::ListenerKind::HttpConnectionManager;
      snap::Listener listener;
      listener.gateway = key;
      listener.name = ls.owner.kind == "Gateway" ? spec.name : ls.owner.ns + "/" + ls.owner.name + "/" + spec.name;
      listener.hostname = spec.hostname;
      listener.certificates = ls.certificates;
      listener.hosts = ls.tables.hosts.table();
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
  return snapshot;
}

}  // namespace gatehouse::translator
