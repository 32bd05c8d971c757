// Which upstream TLS context a request gets: a function of the cluster and of the listener the
// request came in on (its Gateway's spec.tls.backend.clientCertificateRef).
#include "dataplane/upstream_tls_contexts.h"

#include <gtest/gtest.h>

#include "../test_certificates.h"

namespace gatehouse::dataplane {
namespace {

using gatehouse::testing::makeCertificate;

snapshot::ClusterPtr cluster(const std::string& name, bool tls) {
  auto out = std::make_shared<snapshot::Cluster>();
  out->name = name;
  if (tls) {
    out->tls.emplace();
    out->tls->sni = "backend.example";  // empty CA bundle: the system's trust store
  }
  return out;
}

snapshot::Listener listenerOf(const std::string& gateway, std::optional<snapshot::TlsCertificate> certificate) {
  snapshot::Listener out;
  out.gateway = gateway;
  out.name = "http";
  out.backend_client_certificate = std::move(certificate);
  return out;
}

snapshot::Socket socketOf(std::vector<snapshot::Listener> listeners) {
  snapshot::Socket out;
  out.address = "127.0.0.1";
  out.port = 80;
  out.listeners = std::move(listeners);
  return out;
}

// Cluster 0 plaintext, 1 with a BackendTLSPolicy; socket 80 holds listeners of Gateways a, b
// (same certificate as a, in another PEM copy) and c (its own), and one of Gateway plain (none).
struct Fixture {
  snapshot::TlsCertificate cert_a = makeCertificate({"gateway-a"});
  snapshot::TlsCertificate cert_c = makeCertificate({"gateway-c"});
  GenerationPtr generation;
  tls::UpstreamContextCache cache;

  Fixture() {
    auto snapshot = std::make_shared<snapshot::Snapshot>();
    snapshot->clusters.push_back(cluster("ns/plain:80", false));
    snapshot->clusters.push_back(cluster("ns/tls:443", true));
    snapshot->sockets.push_back(socketOf({listenerOf("ns/a", cert_a),
                                          listenerOf("ns/b", snapshot::TlsCertificate{cert_a.cert_pem, cert_a.key_pem}),
                                          listenerOf("ns/c", cert_c), listenerOf("ns/plain", std::nullopt)}));
    auto built = std::make_shared<Generation>();
    built->snapshot = snapshot;
    buildUpstreamTls(*built, cache);
    generation = built;
  }
  const snapshot::Listener* listener(size_t i) const { return &generation->snapshot->sockets[0].listeners[i]; }
  uint64_t contextId(uint32_t cluster, size_t listener_index) const {
    const auto& context = generation->upstreamTls(cluster, listener(listener_index));
    return context ? context->id() : 0;
  }
};

TEST(UpstreamTlsContexts, PlaintextClusterHasNoContextWhateverTheListener) {
  Fixture f;
  for (size_t l = 0; l < 4; ++l) EXPECT_EQ(f.contextId(0, l), 0u) << l;
}

TEST(UpstreamTlsContexts, EachDistinctClientCertificateHasItsOwnContext) {
  Fixture f;
  const uint64_t a = f.contextId(1, 0), c = f.contextId(1, 2), none = f.contextId(1, 3);
  EXPECT_NE(a, 0u);
  EXPECT_NE(c, 0u);
  EXPECT_NE(none, 0u);
  EXPECT_NE(a, c);
  EXPECT_NE(a, none);
  EXPECT_NE(c, none);
  EXPECT_EQ(f.generation->upstream_tls.size(), 3u);  // none, a, c
}

TEST(UpstreamTlsContexts, GatewaysWithEqualCertificatesShareAContext) {
  Fixture f;
  EXPECT_EQ(f.contextId(1, 0), f.contextId(1, 1));
}

TEST(UpstreamTlsContexts, UnknownListenerGetsTheContextWithoutCertificate) {
  Fixture f;
  EXPECT_EQ(f.generation->upstreamTls(1, nullptr)->id(), f.contextId(1, 3));
}

TEST(UpstreamTlsContexts, CertificateThatDoesNotLoadIsLeftOutNotFatal) {
  auto snapshot = std::make_shared<snapshot::Snapshot>();
  snapshot->clusters.push_back(cluster("ns/tls:443", true));
  snapshot->sockets.push_back(socketOf({listenerOf("ns/broken", snapshot::TlsCertificate{"no certificate", "no key"})}));
  Generation generation;
  generation.snapshot = snapshot;
  tls::UpstreamContextCache cache;
  buildUpstreamTls(generation, cache);
  EXPECT_TRUE(generation.client_certificate_slots.empty());
  ASSERT_TRUE(generation.upstreamTls(0, &snapshot->sockets[0].listeners[0]));
  EXPECT_EQ(cache.builds(), 1u);
}

TEST(UpstreamTlsContexts, UnchangedCertificateInTheNextGenerationKeepsItsContext) {
  Fixture f;
  const uint64_t before = f.contextId(1, 0);
  auto next = std::make_shared<Generation>();
  next->snapshot = f.generation->snapshot;
  buildUpstreamTls(*next, f.cache);
  EXPECT_EQ(next->upstreamTls(1, f.listener(0))->id(), before);  // pooled connections stay usable
  EXPECT_EQ(f.cache.builds(), 3u);
}

}  // namespace
}  // namespace gatehouse::dataplane
