#include "main/rate_limit_flags.h"

#include <CLI/CLI.hpp>

#include <charconv>

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
}

Result<bool> applyRateLimitFlags(const RateLimitFlags& flags, dataplane::Options& options) {
  if (flags.redis.empty()) return true;
  if (auto parsed = parseAddress(flags.redis, options.rate_limit_redis); !parsed) return parsed;
  const auto timeout = model::parseDurationMs(flags.redis_timeout).value_or(0);
  if (timeout == 0) return Error{"--rate-limit-redis-timeout " + flags.redis_timeout + ": not a positive duration"};
  options.rate_limit_redis.timeout = std::chrono::milliseconds(timeout);
  return true;
}

}  // namespace gatehouse::main
