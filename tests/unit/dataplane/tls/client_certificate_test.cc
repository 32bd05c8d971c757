// The client certificate the gateway presents to TLS backends (a Gateway's
// spec.tls.backend.clientCertificateRef): loading it, the upstream context presenting it in a real
// handshake (in memory, against an OpenSSL server that requires one), and the cache keeping
// contexts with different certificates apart (they are different pool keys).
#include "dataplane/tls/client_certificate.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include "../../test_certificates.h"
#include "dataplane/tls/upstream_context.h"

namespace gatehouse::dataplane::tls {
namespace {

using gatehouse::testing::makeCertificate;

const snapshot::TlsCertificate& backendCertificate() {
  static const snapshot::TlsCertificate certificate = makeCertificate({"backend.example"});
  return certificate;
}

snapshot::UpstreamTls trustingTheBackend() {
  snapshot::UpstreamTls tls;
  tls.sni = "backend.example";
  tls.ca_pem = backendCertificate().cert_pem;
  return tls;
}

// The CN of the certificate the server received; "" when it received none.
std::string peerCommonName(SSL* server) {
  X509* peer = SSL_get1_peer_certificate(server);
  if (peer == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  X509_free(peer);
  return cn;
}

// An OpenSSL server with the backend's certificate that requires a client certificate chaining to
// `trusted`, handshaking in memory with a client SSL from `context`.
class RequiringServer {
 public:
  explicit RequiringServer(const snapshot::TlsCertificate& trusted) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    auto client_certificate = ClientCertificate::load(backendCertificate());  // same PEM parsing as the client's
    EXPECT_TRUE(client_certificate.ok());
    EXPECT_TRUE(client_certificate.value()->installInto(ctx_));
    BIO* bio = BIO_new_mem_buf(trusted.cert_pem.data(), static_cast<int>(trusted.cert_pem.size()));
    X509* anchor = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), anchor);
    X509_free(anchor);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  ~RequiringServer() {
    SSL_free(client_);
    SSL_free(server_);
    SSL_CTX_free(ctx_);
  }

  // Whether the server completed the handshake (it verified a client certificate).
  bool handshake(const UpstreamContext& context) {
    client_ = context.newSsl();
    server_ = SSL_new(ctx_);
    BIO *client_bio = nullptr, *server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client_, client_bio, client_bio);
    SSL_set_bio(server_, server_bio, server_bio);
    SSL_set_connect_state(client_);
    SSL_set_accept_state(server_);
    bool client_done = false, server_done = false;
    for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
      if (!client_done) {
        const int rc = SSL_do_handshake(client_);
        if (rc == 1) client_done = true;
        else if (SSL_get_error(client_, rc) != SSL_ERROR_WANT_READ) break;
      }
      if (!server_done) {
        const int rc = SSL_do_handshake(server_);
        if (rc == 1) server_done = true;
        else if (SSL_get_error(server_, rc) != SSL_ERROR_WANT_READ) break;
      }
    }
    ERR_clear_error();
    return server_done;
  }
  SSL* server() const { return server_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* client_ = nullptr;
  SSL* server_ = nullptr;
};

TEST(ClientCertificate, LoadsCertificateAndMatchingKey) {
  auto loaded = ClientCertificate::load(makeCertificate({"gateway-a"}));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value()->digest().size(), 32u);  // SHA-256
}

TEST(ClientCertificate, RejectsAKeyThatDoesNotMatch) {
  snapshot::TlsCertificate mixed = makeCertificate({"gateway-a"});
  mixed.key_pem = makeCertificate({"gateway-b"}).key_pem;
  auto loaded = ClientCertificate::load(mixed);
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(loaded.error().message.starts_with("client certificate: the key does not match the certificate"))
      << loaded.error().message;
}

TEST(ClientCertificate, RejectsPemWithoutCertificate) {
  snapshot::TlsCertificate empty = makeCertificate({"gateway-a"});
  empty.cert_pem = "not a certificate";
  auto loaded = ClientCertificate::load(empty);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, "client certificate: no PEM certificate");
}

TEST(UpstreamContextWithClientCertificate, PresentsItToAServerThatRequiresOne) {
  const snapshot::TlsCertificate gateway_a = makeCertificate({"gateway-a"});
  auto client = ClientCertificate::load(gateway_a);
  ASSERT_TRUE(client.ok());
  auto context = UpstreamContext::create(trustingTheBackend(), client.value().get());
  ASSERT_TRUE(context.ok()) << context.error().message;
  RequiringServer server(gateway_a);
  ASSERT_TRUE(server.handshake(*context.value()));
  EXPECT_EQ(peerCommonName(server.server()), "gateway-a");
}

TEST(UpstreamContextWithClientCertificate, WithoutOneTheServerRefusesTheHandshake) {
  auto context = UpstreamContext::create(trustingTheBackend());
  ASSERT_TRUE(context.ok());
  RequiringServer server(makeCertificate({"gateway-a"}));
  EXPECT_FALSE(server.handshake(*context.value()));
  EXPECT_EQ(peerCommonName(server.server()), "");
}

TEST(UpstreamContextWithClientCertificate, ACertificateTheServerDoesNotTrustIsRefused) {
  auto client = ClientCertificate::load(makeCertificate({"stranger"}));
  ASSERT_TRUE(client.ok());
  auto context = UpstreamContext::create(trustingTheBackend(), client.value().get());
  ASSERT_TRUE(context.ok());
  RequiringServer server(makeCertificate({"gateway-a"}));
  EXPECT_FALSE(server.handshake(*context.value()));
}

TEST(UpstreamContextCache, EachClientCertificateGetsItsOwnContextAndId) {
  UpstreamContextCache cache;
  auto a = ClientCertificate::load(makeCertificate({"gateway-a"}));
  auto b = ClientCertificate::load(makeCertificate({"gateway-b"}));
  ASSERT_TRUE(a.ok() && b.ok());
  auto none = cache.get(trustingTheBackend());
  auto with_a = cache.get(trustingTheBackend(), a.value().get());
  auto with_b = cache.get(trustingTheBackend(), b.value().get());
  ASSERT_TRUE(none.ok() && with_a.ok() && with_b.ok());
  EXPECT_NE(none.value()->id(), with_a.value()->id());
  EXPECT_NE(with_a.value()->id(), with_b.value()->id());
  EXPECT_NE(none.value()->id(), with_b.value()->id());
  EXPECT_EQ(cache.builds(), 3u);
}

TEST(UpstreamContextCache, TheSameCertificateLoadedAgainSharesTheContext) {
  UpstreamContextCache cache;
  const snapshot::TlsCertificate pem = makeCertificate({"gateway-a"});
  auto first_load = ClientCertificate::load(pem);
  auto second_load = ClientCertificate::load(pem);  // the next generation's
  ASSERT_TRUE(first_load.ok() && second_load.ok());
  auto first = cache.get(trustingTheBackend(), first_load.value().get());
  auto second = cache.get(trustingTheBackend(), second_load.value().get());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.value(), second.value());
  EXPECT_EQ(cache.builds(), 1u);
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
