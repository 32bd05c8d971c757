#include "providers/kube/leader_election.h"

#include <gtest/gtest.h>

#include "common/backoff.h"

namespace gatehouse::providers::kube {
namespace {

using namespace std::chrono;

TEST(LeaseOptions, ScaleTheDefaultsRatios) {
  auto fifteen = LeaseOptions::forDuration(seconds(15));
  EXPECT_EQ(fifteen.renew_deadline, milliseconds(10000));
  EXPECT_EQ(fifteen.retry_period, milliseconds(2000));
  auto three = LeaseOptions::forDuration(seconds(3));
  EXPECT_EQ(three.duration, milliseconds(3000));
  EXPECT_EQ(three.renew_deadline, milliseconds(2000));
  EXPECT_EQ(three.retry_period, milliseconds(400));
}

TEST(LeaseOptions, MicroTimeHasSixFractionDigits) {
  auto t = sys_days(year(2026) / 12 / 7) + hours(1) + minutes(2) + seconds(3) + microseconds(45);
  EXPECT_EQ(microTime(t), "2026-12-07T01:02:03.000045Z");
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  Backoff backoff(milliseconds(200), seconds(10));
  long long ceiling = 200;
  for (int i = 0; i < 12; ++i, ceiling = std::min(ceiling * 2, 10000LL)) {
    auto delay = backoff.next().count();
    EXPECT_GE(delay, ceiling / 2) << i;
    EXPECT_LE(delay, ceiling) << i;
  }
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 200);
}

}  // namespace
}  // namespace gatehouse::providers::kube
