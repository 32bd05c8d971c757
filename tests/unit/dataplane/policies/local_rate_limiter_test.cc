// LocalRateLimiter: exact admissions of a GCRA token bucket at given instants, its headers'
// numbers, keyed buckets with their bound, and buckets kept or dropped across snapshots.
#include "dataplane/policies/local_rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>

namespace gatehouse::dataplane::policies {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Key = snapshot::LocalRateLimit::Key;

snapshot::LocalRateLimit limit(uint32_t requests, uint64_t window_ms, Key key = Key::Target, uint32_t max_keys = 100) {
  return {"shop/api", "HTTPRoute/shop/store", requests, window_ms, key, key == Key::Header ? "x-api-key" : "", max_keys};
}

const LocalRateLimiter::Clock::time_point kStart{seconds(1000)};

TEST(LocalRateLimiter, AdmitsABurstOfRequestsThenRefusesWithRetryAfter) {
  LocalRateLimiter limiter(limit(3, 6000));
  for (uint32_t remaining : {2u, 1u, 0u}) {
    const auto d = limiter.acquire("", kStart);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, remaining);
  }
  const auto refused = limiter.acquire("", kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(2));  // one token per 2 s
  EXPECT_EQ(refused.reset, seconds(6));
  EXPECT_EQ(limiter.allowed(), 3u);
  EXPECT_EQ(limiter.limited(), 1u);
}

TEST(LocalRateLimiter, RefillsOneRequestPerIntervalAndAWholeBurstAfterTheWindow) {
  LocalRateLimiter limiter(limit(3, 6000));
  for (int i = 0; i < 3; ++i) limiter.acquire("", kStart);
  EXPECT_FALSE(limiter.acquire("", kStart + milliseconds(1999)).allowed);
  EXPECT_TRUE(limiter.acquire("", kStart + seconds(2)).allowed);
  EXPECT_FALSE(limiter.acquire("", kStart + seconds(2)).allowed);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.acquire("", kStart + seconds(60)).allowed);
  EXPECT_FALSE(limiter.acquire("", kStart + seconds(60)).allowed);
}

TEST(LocalRateLimiter, KeyedBucketsCountApart) {
  LocalRateLimiter limiter(limit(2, 60000, Key::ClientAddress));
  EXPECT_TRUE(limiter.acquire("10.0.0.1", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("10.0.0.1", kStart).allowed);
  EXPECT_FALSE(limiter.acquire("10.0.0.1", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("10.0.0.2", kStart).allowed);
  EXPECT_EQ(limiter.keys(), 2u);
}

TEST(LocalRateLimiter, AFullKeyTableForgetsBucketsToStayWithinMaxKeys) {
  LocalRateLimiter limiter(limit(1, 1000, Key::Header, 1));  // one shard of one key
  EXPECT_TRUE(limiter.acquire("a", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("b", kStart).allowed);  // "a" is forgotten, though still empty
  EXPECT_EQ(limiter.keys(), 1u);
  EXPECT_FALSE(limiter.acquire("b", kStart).allowed);
  EXPECT_TRUE(limiter.acquire("a", kStart).allowed);  // a fresh bucket
  EXPECT_EQ(limiter.keys(), 1u);
}

TEST(LocalRateLimiter, WorkersShareOneBucket) {
  LocalRateLimiter limiter(limit(1000, 3600000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) limiter.acquire("", kStart);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(limiter.allowed(), 1000u);
  EXPECT_EQ(limiter.limited(), 1000u);
}

TEST(LocalRateLimiters, ASnapshotKeepsTheBucketsOfUnchangedLimitsOnly) {
  LocalRateLimiters limiters;
  snapshot::Snapshot first;
  first.local_rate_limits = {limit(1, 60000), limit(5, 1000)};
  auto a = limiters.resolve(first);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(a[0]->acquire("", kStart).allowed);
  snapshot::Snapshot second;
  second.local_rate_limits = {limit(5, 2000), limit(1, 60000)};
  auto b = limiters.resolve(second);
  EXPECT_EQ(b[1], a[0]);
  EXPECT_FALSE(b[1]->acquire("", kStart).allowed);  // still empty
  EXPECT_NE(b[0], a[1]);                             // window changed: a new bucket
  EXPECT_EQ(limiters.current().size(), 2u);
}

}  // namespace
}  // namespace gatehouse::dataplane::policies
