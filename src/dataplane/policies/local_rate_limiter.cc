#include "dataplane/policies/local_rate_limiter.h"

#include <algorithm>
#include <functional>
#include <tuple>

namespace gatehouse::dataplane::policies {

namespace {

constexpr size_t kMaxShards = 16;

int64_t nanos(LocalRateLimiter::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

int64_t intervalOf(const snapshot::LocalRateLimit& c) {
  const int64_t window = static_cast<int64_t>(std::min<uint64_t>(c.window_ms, uint64_t{1} << 40)) * 1000000;
  return std::max<int64_t>(1, window / std::max<uint32_t>(1, c.requests));
}

}  // namespace

std::string LocalRateLimiter::identity(const snapshot::LocalRateLimit& c) {
  return c.policy + '\n' + c.target + '\n' + std::to_string(c.requests) + '\n' + std::to_string(c.window_ms) + '\n' +
         std::to_string(static_cast<int>(c.key)) + '\n' + c.header + '\n' + std::to_string(c.max_keys);
}

LocalRateLimiter::LocalRateLimiter(snapshot::LocalRateLimit config)
    : config_(std::move(config)),
      interval_(intervalOf(config_)),
      tolerance_(interval_ * std::max<uint32_t>(1, config_.requests)) {
  if (config_.key == snapshot::LocalRateLimit::Key::Target) return;
  const size_t shards = std::clamp<size_t>(config_.max_keys, 1, kMaxShards);
  per_shard_ = std::max<size_t>(1, config_.max_keys / shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

LocalRateLimiter::Decision LocalRateLimiter::decide(int64_t tat, int64_t now, int64_t& next) const {
  Decision d;
  next = std::max(tat, now) + interval_;
  const int64_t ahead = next - now;
  if (ahead > tolerance_) {
    d.allowed = false;
    d.retry_after = std::chrono::nanoseconds(ahead - tolerance_);
    d.reset = std::chrono::nanoseconds(std::max<int64_t>(0, tat - now));
    return d;
  }
  d.remaining = static_cast<uint32_t>((tolerance_ - ahead) / interval_);
  d.reset = std::chrono::nanoseconds(ahead);
  return d;
}

LocalRateLimiter::Decision LocalRateLimiter::acquire(std::string_view key, Clock::time_point when) {
  const int64_t now = nanos(when);
  Decision d;
  if (shards_.empty()) {
    int64_t tat = tat_.load(std::memory_order_relaxed);
    int64_t next = 0;
    for (;;) {
      d = decide(tat, now, next);
      if (!d.allowed || tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) break;
    }
  } else {
    d = acquireKeyed(key, now);
  }
  (d.allowed ? allowed_ : limited_).fetch_add(1, std::memory_order_relaxed);
  return d;
}

LocalRateLimiter::Decision LocalRateLimiter::acquireKeyed(std::string_view key, int64_t now) {
  Shard& shard = *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mu);
  auto it = shard.tat.find(std::string(key));
  int64_t next = 0;
  const Decision d = decide(it == shard.tat.end() ? 0 : it->second, now, next);
  if (!d.allowed) return d;
  if (it != shard.tat.end()) {
    it->second = next;
  } else {
    if (shard.tat.size() >= per_shard_) evict(shard, now);
    shard.tat.emplace(std::string(key), next);
  }
  return d;
}

void LocalRateLimiter::evict(Shard& shard, int64_t now) {
  std::erase_if(shard.tat, [now](const auto& entry) { return entry.second <= now; });
  if (shard.tat.size() < per_shard_) return;
  auto fullest = std::min_element(shard.tat.begin(), shard.tat.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
  shard.tat.erase(fullest);
}

size_t LocalRateLimiter::keys() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    n += shard->tat.size();
  }
  return n;
}

}  // namespace gatehouse::dataplane::policies
