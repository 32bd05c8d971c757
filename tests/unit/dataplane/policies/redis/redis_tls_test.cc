// RedisTls: the context --rate-limit-redis-tls and its files give (SNI and verification per
// connection), and the startup errors naming the flag, the file and the reason. The handshakes
// run against a real redis-server in tests/integration/test_global_rate_limit_auth.py.
#include "dataplane/policies/redis/redis_tls.h"

#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include "../../../test_certificates.h"
#include "redis_test_files.h"

namespace gatehouse::dataplane::redis {
namespace {

TEST(RedisTls, ADnsServerNameIsTheSniAndTheVerifiedName) {
  RedisTestFiles files;
  const auto ca = gatehouse::testing::makeCertificate({"redis.example"});
  auto tls = RedisTls::load({"redis.example", files.write("ca.crt", ca.cert_pem), "", ""});
  ASSERT_TRUE(tls.ok()) << tls.error().message;
  SSL* ssl = tls.value()->newSsl();
  ASSERT_NE(ssl, nullptr);
  EXPECT_STREQ(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "redis.example");
  EXPECT_EQ(SSL_get_verify_mode(ssl), SSL_VERIFY_PEER);
  EXPECT_STREQ(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0), "redis.example");
  SSL_free(ssl);
}

TEST(RedisTls, AnIpServerNameSendsNoSni) {
  auto tls = RedisTls::load({"127.0.0.1", "", "", ""});  // the system's trust store
  ASSERT_TRUE(tls.ok()) << tls.error().message;
  SSL* ssl = tls.value()->newSsl();
  ASSERT_NE(ssl, nullptr);
  EXPECT_EQ(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), nullptr);
  EXPECT_EQ(SSL_get_verify_mode(ssl), SSL_VERIFY_PEER);
  // Verified as an address, not as a DNS name.
  EXPECT_EQ(X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0), nullptr);
  char* ip = X509_VERIFY_PARAM_get1_ip_asc(SSL_get0_param(ssl));
  ASSERT_NE(ip, nullptr);
  EXPECT_STREQ(ip, "127.0.0.1");
  OPENSSL_free(ip);
  SSL_free(ssl);
}

TEST(RedisTls, AClientCertificateIsLoaded) {
  RedisTestFiles files;
  const auto ca = gatehouse::testing::makeCertificate({"redis.example"});
  const auto client = gatehouse::testing::makeCertificate({"gatehouse"});
  auto tls = RedisTls::load({"redis.example", files.write("ca.crt", ca.cert_pem),
                             files.write("tls.crt", client.cert_pem), files.write("tls.key", client.key_pem)});
  ASSERT_TRUE(tls.ok()) << tls.error().message;
}

TEST(RedisTls, AnUnreadableCaFileNamesTheFlagAndTheFile) {
  RedisTestFiles files;
  auto tls = RedisTls::load({"redis.example", files.path("missing.crt"), "", ""});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().message, "--rate-limit-redis-ca-file " + files.path("missing.crt") + ": No such file or directory");
}

TEST(RedisTls, ACaFileWithoutACertificateIsRefused) {
  RedisTestFiles files;
  const std::string ca = files.write("ca.crt", "not a certificate\n");
  auto tls = RedisTls::load({"redis.example", ca, "", ""});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().message, "--rate-limit-redis-ca-file " + ca + ": CA bundle: no PEM certificate found");
}

TEST(RedisTls, AKeyThatIsNotTheCertificatesIsRefused) {
  RedisTestFiles files;
  const auto one = gatehouse::testing::makeCertificate({"one"});
  const auto other = gatehouse::testing::makeCertificate({"other"});
  const std::string cert = files.write("tls.crt", one.cert_pem);
  const std::string key = files.write("tls.key", other.key_pem);
  auto tls = RedisTls::load({"redis.example", "", cert, key});
  ASSERT_FALSE(tls.ok());
  const std::string want = "--rate-limit-redis-cert-file " + cert + ", --rate-limit-redis-key-file " + key +
                           ": client certificate: the key does not match the certificate";
  EXPECT_EQ(tls.error().message.substr(0, want.size()), want);
}

TEST(RedisTls, AMissingKeyFileNamesItsFlag) {
  RedisTestFiles files;
  const auto one = gatehouse::testing::makeCertificate({"one"});
  auto tls = RedisTls::load({"redis.example", "", files.write("tls.crt", one.cert_pem), files.path("tls.key")});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().message, "--rate-limit-redis-key-file " + files.path("tls.key") + ": No such file or directory");
}

TEST(RedisTls, ACertificateWithoutAKeyIsRefused) {
  RedisTestFiles files;
  const auto one = gatehouse::testing::makeCertificate({"one"});
  auto tls = RedisTls::load({"redis.example", "", files.write("tls.crt", one.cert_pem), ""});
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().message, "--rate-limit-redis-cert-file and --rate-limit-redis-key-file go together");
}

}  // namespace
}  // namespace gatehouse::dataplane::redis
