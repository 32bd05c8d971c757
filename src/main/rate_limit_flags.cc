#include "main/rate_limit_flags.h"

#include <CLI/CLI.hpp>

#include <charconv>

#include "dataplane/policies/redis/redis_auth.h"
#include "dataplane/policies/redis/redis_tls.h"
#include "model/duration.h"

namespace gatehouse::main {

namespace {

// "host:6379", "10.0.0.7:6379", "[::1]:6379".
Result<bool> parseAddress(std::string_view text, dataplane::redis::RedisOptions& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error{"--rate-limit-redis " + std::string(text) + ": expected HOST:PORT"};
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535)
    return Error{"--rate-limit-redis " + std::string(text) + ": expected HOST:PORT with a port 1..65535"};
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

void addRateLimitFlags(CLI::App& command, RateLimitFlags& flags) {
  auto* redis = command.add_option("--rate-limit-redis", flags.redis,
                                   "Redis HOST:PORT of the RateLimitPolicies' global limits (each worker keeps one "
                                   "connection); without it a global limit follows its failureMode");
  command
      .add_option("--rate-limit-redis-timeout", flags.redis_timeout,
                  "How long a request waits for Redis's decision before the limit's failureMode decides")
      ->default_val("50ms")
      ->check([](const std::string& v) {
        return model::parseDurationMs(v).value_or(0) > 0 ? "" : "not a positive duration: " + v;
      })
      ->needs(redis);
  auto* password = command
                       .add_option("--rate-limit-redis-password-file", flags.redis_password_file,
                                   "File holding the password Redis's AUTH takes (trailing newline stripped; read "
                                   "again at every connect, so a rotated Secret needs no restart)")
                       ->needs(redis);
  command
      .add_option("--rate-limit-redis-username", flags.redis_username,
                  "Redis 6 ACL user to AUTH as (default: Redis's default user)")
      ->needs(password);
  auto* tls = command
                  .add_flag("--rate-limit-redis-tls", flags.redis_tls,
                            "TLS to Redis; its certificate is always verified")
                  ->needs(redis);
  command
      .add_option("--rate-limit-redis-ca-file", flags.redis_ca_file,
                  "CA bundle (PEM) Redis's certificate must chain to (default: the system's trust store)")
      ->needs(tls);
  command
      .add_option("--rate-limit-redis-server-name", flags.redis_server_name,
                  "The name Redis's certificate must carry, also the SNI (default: the host of --rate-limit-redis)")
      ->needs(tls);
  auto* cert = command
                   .add_option("--rate-limit-redis-cert-file", flags.redis_cert_file,
                               "Client certificate (PEM, chain after the leaf) for Redis's mutual TLS")
                   ->needs(tls);
  auto* key = command.add_option("--rate-limit-redis-key-file", flags.redis_key_file, "Its private key (PEM)")
                  ->needs(tls)
                  ->needs(cert);
  cert->needs(key);
}

Result<bool> applyRateLimitFlags(const RateLimitFlags& flags, dataplane::Options& options) {
  if (flags.redis.empty()) return true;
  if (auto parsed = parseAddress(flags.redis, options.rate_limit_redis); !parsed) return parsed;
  const auto timeout = model::parseDurationMs(flags.redis_timeout).value_or(0);
  if (timeout == 0) return Error{"--rate-limit-redis-timeout " + flags.redis_timeout + ": not a positive duration"};
  options.rate_limit_redis.timeout = std::chrono::milliseconds(timeout);
  if (!flags.redis_password_file.empty()) {
    // Checked now, so a wrong path is a startup error rather than a refused connection.
    if (auto password = dataplane::redis::readPasswordFile(flags.redis_password_file); !password)
      return Error{"--rate-limit-redis-password-file " + password.error().message};
    options.rate_limit_redis.password_file = flags.redis_password_file;
    options.rate_limit_redis.username = flags.redis_username;
  }
  if (flags.redis_tls) {
    const dataplane::redis::RedisTlsFiles files{
        flags.redis_server_name.empty() ? options.rate_limit_redis.host : flags.redis_server_name, flags.redis_ca_file,
        flags.redis_cert_file, flags.redis_key_file};
    auto tls = dataplane::redis::RedisTls::load(files);
    if (!tls) return tls.error();
    options.rate_limit_redis.tls = std::move(tls.value());
  }
  return true;
}

}  // namespace gatehouse::main
