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
};

void addRateLimitFlags(CLI::App& command, RateLimitFlags& flags);

// Sets options.rate_limit_redis; errors name the flag and the value.
Result<bool> applyRateLimitFlags(const RateLimitFlags& flags, dataplane::Options& options);

}  // namespace gatehouse::main
