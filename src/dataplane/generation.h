#pragma once
// What a worker serves: one Snapshot plus what the data plane derived from it (TLS contexts per
// socket, client TLS contexts per cluster with a BackendTLSPolicy and per backend client
// certificate, the local rate limiters). Built on the control thread by DataPlane::apply,
// immutable, posted to every worker; each request pins the generation current when it starts.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/policies/global_rate_limiter.h"
#include "dataplane/policies/local_rate_limiter.h"
#include "dataplane/tls/server_context.h"
#include "dataplane/tls/upstream_context.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane {

struct SocketConfig {
  const snapshot::Socket* socket = nullptr;
  std::shared_ptr<const tls::SocketTls> tls;  // null for Http sockets
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Generation {
  snapshot::SnapshotPtr snapshot;
  std::unordered_map<std::string, SocketConfig, StringHash, std::equal_to<>> sockets;  // by identity
  // One per snapshot->local_rate_limits entry, shared by every worker (and by the generations
  // that keep the limit).
  std::vector<std::shared_ptr<policies::LocalRateLimiter>> local_rate_limiters;
  // One per snapshot->global_rate_limits entry, likewise (their decisions are made in Redis).
  std::vector<std::shared_ptr<policies::GlobalRateLimiter>> global_rate_limiters;
  // By client certificate slot, then by cluster index; null where the cluster has no
  // BackendTLSPolicy or its TLS is not usable. Slot 0 presents no client certificate; slot i > 0
  // presents the i-th distinct backend client certificate of the snapshot's listeners.
  std::vector<std::vector<tls::UpstreamContextPtr>> upstream_tls;
  // The slot of each listener whose Gateway has spec.tls.backend.clientCertificateRef.
  std::unordered_map<const snapshot::Listener*, uint32_t> client_certificate_slots;

  const SocketConfig* find(std::string_view identity) const {
    auto it = sockets.find(identity);
    return it == sockets.end() ? nullptr : &it->second;
  }
  // The TLS a request that came in on `listener` uses to `cluster`'s endpoints: the listener's
  // Gateway decides the client certificate. Null: none (the cluster has no usable TLS).
  const tls::UpstreamContextPtr& upstreamTls(uint32_t cluster, const snapshot::Listener* listener) const {
    static const tls::UpstreamContextPtr kNone;
    uint32_t slot = 0;
    if (auto it = client_certificate_slots.find(listener); it != client_certificate_slots.end()) slot = it->second;
    if (slot >= upstream_tls.size()) return kNone;
    const auto& by_cluster = upstream_tls[slot];
    return cluster < by_cluster.size() ? by_cluster[cluster] : kNone;
  }
};

using GenerationPtr = std::shared_ptr<const Generation>;

}  // namespace gatehouse::dataplane
