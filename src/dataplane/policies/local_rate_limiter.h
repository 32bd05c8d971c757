#pragma once
// The buckets of one local rate limit (snapshot::LocalRateLimit), shared by every worker of the
// process: a limit of N per window admits N requests per window in this process, whatever the
// worker count. A replica is one process, so with R replicas a client may get up to R x N
// (docs/policies.md).
//
// Each bucket is GCRA (the generic cell rate algorithm, a token bucket stored as one number): its
// "theoretical arrival time" TAT advances by T = window / N per admitted request; a request is
// admitted while TAT + T - now <= N x T, i.e. while a token is left. A burst of N passes at once,
// and the bucket refills one request every T. An unkeyed limit is one atomic compare-and-swap
// per request; keyed buckets (per client address, per header value) live in a table of shards,
// each behind its own mutex, bounded to about max_keys entries: a full shard first forgets the
// buckets that are full again (they equal a fresh one, so nothing is lost), then the fullest.
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

namespace gatehouse::dataplane::policies {

class LocalRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LocalRateLimiter(snapshot::LocalRateLimit config);
  // Equal for equal policy, target and settings (LimiterRegistry keeps the limiter then).
  static std::string identity(const snapshot::LocalRateLimit& config);

  struct Decision {
    bool allowed = true;
    uint32_t remaining = 0;          // requests left now (after this one)
    std::chrono::nanoseconds reset{};        // until the bucket is full again
    std::chrono::nanoseconds retry_after{};  // denied: until the next request would pass
  };
  // Takes a token from the bucket of `key` (ignored for Key::Target).
  Decision acquire(std::string_view key, Clock::time_point now);

  const snapshot::LocalRateLimit& config() const { return config_; }
  uint64_t allowed() const { return allowed_.load(std::memory_order_relaxed); }
  uint64_t limited() const { return limited_.load(std::memory_order_relaxed); }
  size_t keys() const;  // keyed buckets held now

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, int64_t> tat;
  };
  // The decision for a bucket at `tat`; `next` is its TAT if admitted.
  Decision decide(int64_t tat, int64_t now, int64_t& next) const;
  Decision acquireKeyed(std::string_view key, int64_t now);
  void evict(Shard& shard, int64_t now);

  const snapshot::LocalRateLimit config_;
  const int64_t interval_;   // T, in nanoseconds of the steady clock
  const int64_t tolerance_;  // N x T
  alignas(64) std::atomic<int64_t> tat_{0};
  std::atomic<uint64_t> allowed_{0}, limited_{0};
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t per_shard_ = 0;
};

// Every local rate limit of the process: a new snapshot keeps the buckets of the limits it keeps.
using LocalRateLimiters = LimiterRegistry<LocalRateLimiter, &snapshot::Snapshot::local_rate_limits>;

}  // namespace gatehouse::dataplane::policies
