#pragma once
// The global rate limits' Redis, alike for `serve` and `dataplane` (the provisioner renders
// GatehouseParameters spec.rateLimit.redis into the latter's). User doc: docs/policies.md.
#include <string>

#include "common/result.h"
#include "dataplane/options.h"

namespace CLI {
class App;
}

namespace gatehouse::main {

struct RateLimitFlags {
  std::string redis;                  // HOST:PORT ([v6]:PORT); empty: none
  std::string redis_timeout = "50ms";  // Gateway API duration, per call
  std::string redis_username;         // with a password file; empty: Redis's default user
  std::string redis_password_file;    // read at startup and at every connect
  bool redis_tls = false;
  std::string redis_ca_file;          // empty: the system's trust store
  std::string redis_server_name;      // empty: the host of `redis`
  std::string redis_cert_file, redis_key_file;  // a client certificate (mutual TLS), or neither
};

void addRateLimitFlags(CLI::App& command, RateLimitFlags& flags);

// Sets options.rate_limit_redis, reading the files the flags name (the TLS context is built
// here, once); errors name the flag, the value or file, and the reason.
Result<bool> applyRateLimitFlags(const RateLimitFlags& flags, dataplane::Options& options);

}  // namespace gatehouse::main
