// GlobalRateLimiter without Redis: its bucket keys (plain and hashed key values, the limit's
// settings in the key), the decision when no Redis is configured (the failure mode's to apply,
// counted as it), and limiters kept across snapshots by identity. The decisions in Redis are
// tested against a real redis-server (tests/integration/test_global_rate_limit.py).
#include "dataplane/policies/global_rate_limiter.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace gatehouse::dataplane::policies {
namespace {

using Key = snapshot::GlobalRateLimit::Key;

snapshot::GlobalRateLimit limit(Key key, bool fail_closed = false) {
  return {"shop/api", "HTTPRoute/shop/store/api", 100, 60000, key, key == Key::Header ? "x-api-key" : "", fail_closed};
}

TEST(GlobalRateLimiter, KeysNameThePolicyTargetAndSettings) {
  EXPECT_EQ(GlobalRateLimiter(limit(Key::Target)).redisKey("ignored"),
            "gatehouse:rl:shop/api:HTTPRoute/shop/store/api:100/60000");
  const GlobalRateLimiter keyed(limit(Key::Header));
  EXPECT_EQ(keyed.redisKey("alice"), "gatehouse:rl:shop/api:HTTPRoute/shop/store/api:100/60000:v:alice");
  EXPECT_EQ(keyed.redisKey(""), "gatehouse:rl:shop/api:HTTPRoute/shop/store/api:100/60000:v:");
  EXPECT_EQ(keyed.redisKey(std::string(64, 'k')),
            "gatehouse:rl:shop/api:HTTPRoute/shop/store/api:100/60000:v:" + std::string(64, 'k'));
}

TEST(GlobalRateLimiter, LongOrBinaryKeyValuesAreHashed) {
  const GlobalRateLimiter keyed(limit(Key::Header));
  const std::string prefix = "gatehouse:rl:shop/api:HTTPRoute/shop/store/api:100/60000:h:";
  // sha256("a" x 65) and sha256("a\nb")
  EXPECT_EQ(keyed.redisKey(std::string(65, 'a')),
            prefix + "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
  EXPECT_EQ(keyed.redisKey("a\nb"), prefix + "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78");
}

TEST(GlobalRateLimiter, TheScriptIsCalledByItsSha1) {
  EXPECT_EQ(globalRateLimitScriptSha().size(), 40u);
  EXPECT_NE(globalRateLimitScript().find("redis.call('TIME')"), std::string::npos);
}

TEST(GlobalRateLimiter, WithoutRedisTheDecisionFailsAndCountsAsTheFailureMode) {
  boost::asio::io_context io;
  GlobalRateLimiter closed(limit(Key::Target, true));
  auto decided = boost::asio::co_spawn(io, closed.acquire(nullptr, ""), boost::asio::use_future);
  io.run();
  EXPECT_EQ(decided.get().outcome, GlobalRateLimiter::Decision::Outcome::Failed);
  EXPECT_EQ(closed.counts().failed_closed, 1u);
  EXPECT_EQ(closed.counts().failed_open, 0u);
  EXPECT_EQ(closed.counts().allowed, 0u);
}

TEST(GlobalRateLimiters, ASnapshotKeepsTheLimitersOfUnchangedLimits) {
  GlobalRateLimiters limiters;
  snapshot::Snapshot first;
  first.global_rate_limits = {limit(Key::Target), limit(Key::Header)};
  const auto a = limiters.resolve(first);
  snapshot::Snapshot second;
  second.global_rate_limits = {limit(Key::Header), limit(Key::Header, true)};
  const auto b = limiters.resolve(second);
  EXPECT_EQ(b[0], a[1]);  // unchanged: kept, with its counters
  EXPECT_NE(b[1], a[0]);  // another failure mode: another limiter
  EXPECT_EQ(limiters.current().size(), 2u);
}

}  // namespace
}  // namespace gatehouse::dataplane::policies
