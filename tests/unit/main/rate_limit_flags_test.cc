// serve/dataplane --rate-limit-redis* flags through CLI11 as main() parses them: what they set in
// the data plane's options, and the startup errors (a flag without the one it needs, an unreadable
// file, a key that is not the certificate's), each naming the flag.
#include "main/rate_limit_flags.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "../dataplane/policies/redis/redis_test_files.h"
#include "../test_certificates.h"
#include "dataplane/policies/redis/redis_tls.h"

namespace gatehouse::main {
namespace {

using dataplane::redis::RedisTestFiles;

struct Parsed {
  std::string error;  // empty: accepted
  dataplane::Options options;
};

Parsed parse(const std::string& args) {
  CLI::App app;
  RateLimitFlags flags;
  addRateLimitFlags(app, flags);
  Parsed out;
  try {
    app.parse(args, false);
  } catch (const CLI::ParseError& e) {
    out.error = e.what();
    return out;
  }
  if (auto applied = applyRateLimitFlags(flags, out.options); !applied) out.error = applied.error().message;
  return out;
}

TEST(RateLimitFlags, AddressAndTimeoutWithoutAuthOrTls) {
  const Parsed p = parse("--rate-limit-redis redis.infra:6380 --rate-limit-redis-timeout 20ms");
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.options.rate_limit_redis.host, "redis.infra");
  EXPECT_EQ(p.options.rate_limit_redis.port, 6380);
  EXPECT_EQ(p.options.rate_limit_redis.timeout, std::chrono::milliseconds(20));
  EXPECT_EQ(p.options.rate_limit_redis.password_file, "");
  EXPECT_EQ(p.options.rate_limit_redis.tls, nullptr);
}

TEST(RateLimitFlags, PasswordFileAndUsername) {
  RedisTestFiles files;
  const std::string password = files.write("password", "s3cret\n");
  const Parsed p = parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-username limiter "
                         "--rate-limit-redis-password-file " + password);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.options.rate_limit_redis.username, "limiter");
  EXPECT_EQ(p.options.rate_limit_redis.password_file, password);  // the path: read again at each connect
}

TEST(RateLimitFlags, AMissingPasswordFileIsAStartupError) {
  RedisTestFiles files;
  const Parsed p = parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-password-file " + files.path("none"));
  EXPECT_EQ(p.error, "--rate-limit-redis-password-file " + files.path("none") + ": No such file or directory");
}

TEST(RateLimitFlags, AUsernameNeedsAPasswordFile) {
  EXPECT_EQ(parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-username limiter").error,
            "--rate-limit-redis-username requires --rate-limit-redis-password-file");
}

TEST(RateLimitFlags, TlsFlagsNeedTheAddressAndTls) {
  EXPECT_EQ(parse("--rate-limit-redis-tls").error, "--rate-limit-redis-tls requires --rate-limit-redis");
  EXPECT_EQ(parse("--rate-limit-redis-password-file /x").error,
            "--rate-limit-redis-password-file requires --rate-limit-redis");
  EXPECT_EQ(parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-ca-file /x").error,
            "--rate-limit-redis-ca-file requires --rate-limit-redis-tls");
  EXPECT_EQ(parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-server-name r.example").error,
            "--rate-limit-redis-server-name requires --rate-limit-redis-tls");
  EXPECT_EQ(parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-tls --rate-limit-redis-cert-file /x").error,
            "--rate-limit-redis-cert-file requires --rate-limit-redis-key-file");
  EXPECT_EQ(parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-tls --rate-limit-redis-key-file /x").error,
            "--rate-limit-redis-key-file requires --rate-limit-redis-cert-file");
}

TEST(RateLimitFlags, TlsVerifiesTheHostOfTheAddressByDefault) {
  const Parsed p = parse("--rate-limit-redis redis.infra:6379 --rate-limit-redis-tls");
  ASSERT_EQ(p.error, "");
  ASSERT_NE(p.options.rate_limit_redis.tls, nullptr);
  EXPECT_EQ(p.options.rate_limit_redis.tls->serverName(), "redis.infra");
}

TEST(RateLimitFlags, TlsWithACaFileAServerNameAndAClientCertificate) {
  RedisTestFiles files;
  const auto ca = gatehouse::testing::makeCertificate({"redis.example"});
  const auto client = gatehouse::testing::makeCertificate({"gatehouse"});
  const Parsed p = parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-tls --rate-limit-redis-ca-file " +
                         files.write("ca.crt", ca.cert_pem) + " --rate-limit-redis-server-name redis.example" +
                         " --rate-limit-redis-cert-file " + files.write("tls.crt", client.cert_pem) +
                         " --rate-limit-redis-key-file " + files.write("tls.key", client.key_pem));
  ASSERT_EQ(p.error, "");
  ASSERT_NE(p.options.rate_limit_redis.tls, nullptr);
  EXPECT_EQ(p.options.rate_limit_redis.tls->serverName(), "redis.example");
}

TEST(RateLimitFlags, AnUnreadableCaFileIsAStartupError) {
  RedisTestFiles files;
  const Parsed p = parse("--rate-limit-redis 10.0.0.7:6379 --rate-limit-redis-tls --rate-limit-redis-ca-file " +
                         files.path("none.crt"));
  EXPECT_EQ(p.error, "--rate-limit-redis-ca-file " + files.path("none.crt") + ": No such file or directory");
}

}  // namespace
}  // namespace gatehouse::main
