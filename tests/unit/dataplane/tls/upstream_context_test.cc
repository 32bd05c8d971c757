// tls::UpstreamContext and its cache: which BackendTLSPolicy settings give a client context, and
// that one context serves equal settings while other settings get another (and another pool key).
// The handshakes themselves (SNI, CA, hostname and SAN checks) run against a real TLS backend in
// tests/integration/test_backend_tls.py.
#include "dataplane/tls/upstream_context.h"

#include <gtest/gtest.h>

namespace gatehouse::dataplane::tls {
namespace {

snapshot::UpstreamTls systemTrust(std::string sni) {
  snapshot::UpstreamTls tls;
  tls.sni = std::move(sni);
  return tls;
}

TEST(UpstreamContext, PolicyWithoutUsableCaGivesNoContext) {
  snapshot::UpstreamTls tls = systemTrust("backend.example");
  tls.usable = false;
  EXPECT_FALSE(UpstreamContext::create(tls).ok());
}

TEST(UpstreamContext, CaBundleWithoutCertificateGivesNoContext) {
  snapshot::UpstreamTls tls = systemTrust("backend.example");
  tls.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  auto context = UpstreamContext::create(tls);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.error().message, "CA bundle: no PEM certificate found");
}

TEST(UpstreamContext, NewSslSendsThePolicyHostnameAsSni) {
  auto context = UpstreamContext::create(systemTrust("backend.example"));
  ASSERT_TRUE(context.ok());
  SSL* ssl = context.value()->newSsl();
  ASSERT_NE(ssl, nullptr);
  EXPECT_STREQ(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "backend.example");
  EXPECT_EQ(SSL_get_verify_mode(ssl), SSL_VERIFY_PEER);
  SSL_free(ssl);
}

TEST(UpstreamContextCache, EqualSettingsShareOneContext) {
  UpstreamContextCache cache;
  auto first = cache.get(systemTrust("backend.example"));
  auto second = cache.get(systemTrust("backend.example"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.value(), second.value());
  EXPECT_EQ(cache.builds(), 1u);
}

TEST(UpstreamContextCache, OtherSettingsGetAnotherContextWithAnotherId) {
  UpstreamContextCache cache;
  auto plain_names = cache.get(systemTrust("backend.example"));
  snapshot::UpstreamTls with_san = systemTrust("backend.example");
  with_san.uris = {"spiffe://example.com/backend"};
  auto with_uri = cache.get(with_san);
  ASSERT_TRUE(plain_names.ok() && with_uri.ok());
  EXPECT_NE(plain_names.value(), with_uri.value());
  EXPECT_NE(plain_names.value()->id(), with_uri.value()->id());
}

TEST(UpstreamContextCache, SettingsRebuiltAfterTheirLastContextWentAway) {
  UpstreamContextCache cache;
  uint64_t first_id = 0;
  {
    auto first = cache.get(systemTrust("backend.example"));
    ASSERT_TRUE(first.ok());
    first_id = first.value()->id();
  }
  cache.prune();
  auto again = cache.get(systemTrust("backend.example"));
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.value()->id(), first_id);
  EXPECT_EQ(cache.builds(), 2u);
}

}  // namespace
}  // namespace gatehouse::dataplane::tls
