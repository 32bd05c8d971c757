// The exchange phase's retry decisions (pipeline/retry.h): which failed attempts are retried,
// how many, the backoff's bounds, the request timeout as the limit of all attempts, and the
// next attempt's endpoint and deadline.
#include "dataplane/pipeline/retry.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <chrono>
#include <memory>

#include "../loopback.h"
#include "dataplane/event/worker.h"
#include "dataplane/pipeline/pipeline.h"
#include "run_phases.h"

namespace gatehouse::testing {
namespace {

using dataplane::AttemptOutcome;
using dataplane::Clock;
using dataplane::ErrorKind;
using dataplane::ProxyError;
using dataplane::RequestContext;
using std::chrono::milliseconds;

constexpr uint32_t kTwoEndpoints = 0;

class RetryTest : public ::testing::Test {
 protected:
  // One rule on /r with `policy`, to a cluster of two endpoints.
  void serve(std::optional<snapshot::RetryPolicy> policy, std::optional<uint32_t> request_timeout_ms = std::nullopt,
             std::optional<uint32_t> backend_timeout_ms = std::nullopt) {
    worker_ = std::make_unique<dataplane::Worker>(0, dataplane::Options{});
    TableBuilder t;
    const uint32_t rule = t.rule(kTwoEndpoints, {M().prefix("/r")});
    snapshot::RouteTable table = t.build();
    table.rules[rule].retry = std::move(policy);
    table.rules[rule].request_timeout_ms = request_timeout_ms;
    table.rules[rule].backend_request_timeout_ms = backend_timeout_ms;
    socket_ = socketWith(std::move(table));
    auto generation = std::make_shared<dataplane::Generation>();
    generation->snapshot =
        snapshotWith({socket_}, {clusterOf("ns/two:80", {{"10.0.0.1", 8080}, {"10.0.0.2", 8080}})});
    generation->sockets.emplace(socket_.identity(), dataplane::SocketConfig{&generation->snapshot->sockets[0], nullptr});
    worker_->setGeneration(generation);
    ctx_.reset();
    ctx_.request = request("/r");
    ctx_.started = Clock::now();
    ASSERT_EQ(runPhases(*worker_, socket_.identity(), ctx_), std::nullopt);
  }

  static snapshot::RetryPolicy policy(std::vector<uint16_t> codes, uint32_t attempts, uint32_t backoff_ms) {
    snapshot::RetryPolicy p;
    p.codes = std::move(codes);
    p.attempts = attempts;
    p.backoff_ms = backoff_ms;
    return p;
  }

  std::optional<Clock::duration> delayAfter(AttemptOutcome outcome) {
    return dataplane::retryDelay(*worker_, ctx_, outcome);
  }

  // Runs beginRetry() to its end on the worker's loop.
  void beginRetry(Clock::duration delay, AttemptOutcome outcome) {
    bool done = false;
    boost::asio::co_spawn(
        worker_->io(),
        [&]() -> boost::asio::awaitable<void> {
          co_await dataplane::beginRetry(*worker_, ctx_, delay, outcome);
          done = true;
        },
        boost::asio::detached);
    // The worker's loop never runs out of work (its guard): run handlers until the retry began.
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(10);
    while (!done && Clock::now() < give_up) worker_->io().run_one_for(milliseconds(100));
    ASSERT_TRUE(done);
  }

  std::unique_ptr<dataplane::Worker> worker_;
  snapshot::Socket socket_;
  RequestContext ctx_;
};

TEST_F(RetryTest, RuleWithoutRetryNeverRetries) {
  serve(std::nullopt);
  EXPECT_EQ(delayAfter({500, std::nullopt}), std::nullopt);
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::ConnectFailed)}), std::nullopt);
}

TEST_F(RetryTest, ListedCodesAreRetriedOthersAreNot) {
  serve(policy({500, 503}, 2, 0));
  EXPECT_EQ(delayAfter({500, std::nullopt}), Clock::duration::zero());
  EXPECT_EQ(delayAfter({503, std::nullopt}), Clock::duration::zero());
  EXPECT_EQ(delayAfter({502, std::nullopt}), std::nullopt);
  EXPECT_EQ(delayAfter({200, std::nullopt}), std::nullopt);
}

TEST_F(RetryTest, ConnectionErrorsAndBackendTimeoutsAreRetriedWithoutCodes) {
  serve(policy({}, 1, 0));
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::ConnectFailed)}), Clock::duration::zero());
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::BadResponse)}), Clock::duration::zero());
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::TimedOut)}), Clock::duration::zero());
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::ResponseTooLarge)}), std::nullopt);
}

TEST_F(RetryTest, AttemptsCountRetriesAfterTheFirst) {
  serve(policy({500}, 2, 0));
  EXPECT_TRUE(delayAfter({500, std::nullopt}).has_value());
  ctx_.retries = 1;
  EXPECT_TRUE(delayAfter({500, std::nullopt}).has_value());
  ctx_.retries = 2;
  EXPECT_EQ(delayAfter({500, std::nullopt}), std::nullopt);
}

TEST_F(RetryTest, BackoffGrowsFromItsMinimumToTenTimesIt) {
  serve(policy({500}, 10, 100));
  for (uint32_t retries = 0; retries < 8; ++retries) {
    ctx_.retries = retries;
    const uint64_t cap = std::min<uint64_t>(100u << retries, 1000);
    for (int draw = 0; draw < 50; ++draw) {
      const std::optional<Clock::duration> delay = delayAfter({500, std::nullopt});
      ASSERT_TRUE(delay.has_value());
      EXPECT_GE(*delay, milliseconds(100)) << "retry " << retries + 1;
      EXPECT_LE(*delay, milliseconds(cap)) << "retry " << retries + 1;
    }
  }
}

TEST_F(RetryTest, NoRetryWhoseBackoffEndsAfterTheRequestTimeout) {
  serve(policy({500}, 3, 400), /*request_timeout_ms=*/300);
  EXPECT_EQ(delayAfter({500, std::nullopt}), std::nullopt);
}

TEST_F(RetryTest, RequestTimeoutIsNotRetriedButABackendTimeoutIs) {
  serve(policy({}, 3, 0), /*request_timeout_ms=*/60'000, /*backend_timeout_ms=*/100);
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::TimedOut)}), Clock::duration::zero());
  ctx_.started = Clock::now() - milliseconds(60'001);  // the request's own timeout has passed
  EXPECT_EQ(delayAfter({0, ProxyError::of(ErrorKind::TimedOut)}), std::nullopt);
}

TEST_F(RetryTest, RetryGoesToTheOtherEndpointWithAFreshBackendDeadline) {
  serve(policy({500}, 3, 0), /*request_timeout_ms=*/60'000, /*backend_timeout_ms=*/200);
  for (int retry = 1; retry <= 3; ++retry) {
    const snapshot::Endpoint* before = ctx_.endpoint;
    const Clock::time_point at = Clock::now();
    beginRetry(Clock::duration::zero(), {500, std::nullopt});
    EXPECT_NE(ctx_.endpoint, before);
    EXPECT_EQ(ctx_.retries, static_cast<uint32_t>(retry));
    ASSERT_TRUE(ctx_.deadline.has_value());
    EXPECT_GE(*ctx_.deadline, at + milliseconds(200));
    EXPECT_LE(*ctx_.deadline, Clock::now() + milliseconds(200));
  }
}

TEST_F(RetryTest, RetryWaitsItsDelay) {
  serve(policy({500}, 1, 0));
  const Clock::time_point at = Clock::now();
  beginRetry(milliseconds(30), {500, std::nullopt});
  EXPECT_GE(Clock::now() - at, milliseconds(30));
}

TEST(RetryBody, BodyIsKeptUpTo64KiB) {
  snapshot::Rule rule;
  rule.retry = snapshot::RetryPolicy{};
  RequestContext ctx;
  ctx.rule = &rule;
  EXPECT_TRUE(dataplane::retriesBodyOf(ctx, 64 * 1024));
  EXPECT_FALSE(dataplane::retriesBodyOf(ctx, 64 * 1024 + 1));
  rule.retry.reset();
  EXPECT_FALSE(dataplane::retriesBodyOf(ctx, 0));
}

}  // namespace
}  // namespace gatehouse::testing
