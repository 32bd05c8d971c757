#pragma once
// A global rate limit (snapshot::GlobalRateLimit): the local limiter's bucket (GCRA, see
// local_rate_limiter.h), kept in Redis so that every replica and worker takes from the same one.
// One Lua script does the whole decision atomically in Redis, with Redis's own clock (TIME), so
// replicas with skewed clocks agree; it stores the bucket's TAT under one key per bucket that
// expires when the bucket is full again (at most one window), so Redis holds only buckets in use.
//
// Keys: "gatehouse:rl:" policy ":" target ":" requests "/" window_ms, then for a keyed limit ":v:"
// and the key value (a client address, a header value) when it is at most 64 printable bytes,
// else ":h:" and its SHA-256 in hex. A changed limit (requests, window) starts a fresh bucket,
// as a local one does.
//
// The script is called by its SHA-1 (EVALSHA); when Redis does not have it (NOSCRIPT: a new or
// restarted Redis), once more with its text (EVAL), which also caches it there.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/policies/limiter_registry.h"
#include "snapshot/snapshot.h"

namespace gatehouse::dataplane::redis {
class RedisClient;
}

namespace gatehouse::dataplane::policies {

class GlobalRateLimiter {
 public:
  explicit GlobalRateLimiter(snapshot::GlobalRateLimit config);
  // Equal for equal policy, target and settings (LimiterRegistry keeps the limiter then).
  static std::string identity(const snapshot::GlobalRateLimit& config);

  struct Decision {
    enum class Outcome : uint8_t { Allowed, Limited, Failed };  // Failed: Redis gave no decision
    Outcome outcome = Outcome::Failed;
    uint32_t remaining = 0;
    std::chrono::microseconds reset{};
    std::chrono::microseconds retry_after{};
  };
  // Takes a token from the bucket of `key` (ignored for Key::Target) through `redis` (null: no
  // Redis configured, the decision fails). Counts the decision; on Failed the caller applies the
  // failure mode.
  boost::asio::awaitable<Decision> acquire(redis::RedisClient* redis, std::string_view key);

  // The Redis key of the bucket of `key`.
  std::string redisKey(std::string_view key) const;

  const snapshot::GlobalRateLimit& config() const { return config_; }
  struct Counts {
    uint64_t allowed = 0, limited = 0, failed_open = 0, failed_closed = 0;
  };
  Counts counts() const;

 private:
  const snapshot::GlobalRateLimit config_;
  const std::string key_prefix_;
  std::atomic<uint64_t> allowed_{0}, limited_{0}, failed_{0};
};

// The script's text and SHA-1 (hex), for EVALSHA and for tests.
const std::string& globalRateLimitScript();
const std::string& globalRateLimitScriptSha();

// Every global rate limit of the process: a new snapshot keeps the counters of the limits it keeps.
using GlobalRateLimiters = LimiterRegistry<GlobalRateLimiter, &snapshot::Snapshot::global_rate_limits>;

}  // namespace gatehouse::dataplane::policies
