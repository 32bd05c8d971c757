#include "dataplane/upstream_tls_contexts.h"

#include <spdlog/spdlog.h>

#include <string>
#include <unordered_map>

#include "dataplane/tls/certificate_digest.h"

namespace gatehouse::dataplane {

namespace {

// The distinct backend client certificates of the snapshot's listeners, each loaded once; and
// which listener presents which (1-based slot; listeners without one are not in the map).
std::vector<tls::ClientCertificatePtr> clientCertificates(const snapshot::Snapshot& snapshot,
                                                          std::unordered_map<const snapshot::Listener*, uint32_t>& slots) {
  std::vector<tls::ClientCertificatePtr> loaded;
  std::unordered_map<std::string, uint32_t> slot_by_digest;
  for (const snapshot::Socket& socket : snapshot.sockets) {
    for (const snapshot::Listener& listener : socket.listeners) {
      if (!listener.backend_client_certificate) continue;
      const std::string digest = tls::certificateDigest(*listener.backend_client_certificate);
      auto [it, added] = slot_by_digest.emplace(digest, 0);
      if (added) {
        auto certificate = tls::ClientCertificate::load(*listener.backend_client_certificate);
        if (!certificate) {
          spdlog::warn("Gateway {}: backend client certificate: {}", listener.gateway, certificate.error().message);
          continue;  // slot 0: no certificate presented
        }
        loaded.push_back(certificate.value());
        it->second = static_cast<uint32_t>(loaded.size());
      }
      if (it->second != 0) slots.emplace(&listener, it->second);
    }
  }
  return loaded;
}

}  // namespace

void buildUpstreamTls(Generation& generation, tls::UpstreamContextCache& cache) {
  const snapshot::Snapshot& snapshot = *generation.snapshot;
  const std::vector<tls::ClientCertificatePtr> certificates =
      clientCertificates(snapshot, generation.client_certificate_slots);
  generation.upstream_tls.resize(certificates.size() + 1);
  for (uint32_t index = 0; index < snapshot.clusters.size(); ++index) {
    const snapshot::Cluster* cluster = snapshot.clusters.get(index);
    if (cluster == nullptr || !cluster->tls || !cluster->tls->usable) continue;
    for (size_t slot = 0; slot < generation.upstream_tls.size(); ++slot) {
      const tls::ClientCertificate* client = slot == 0 ? nullptr : certificates[slot - 1].get();
      auto context = cache.get(*cluster->tls, client);
      if (!context) {
        spdlog::warn("cluster {}: upstream TLS: {}", cluster->name, context.error().message);
        continue;
      }
      auto& by_cluster = generation.upstream_tls[slot];
      by_cluster.resize(snapshot.clusters.size());
      by_cluster[index] = context.value();
    }
  }
}

}  // namespace gatehouse::dataplane
