// snapshot::Policies::overlay: the more specific member replaces the less specific one, unless
// that one came from a policy's overrides (GEP-713).
#include <gtest/gtest.h>

#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {
namespace {

Policies rateLimit(uint32_t index, bool overrides = false) {
  Policies p;
  p.local_rate_limit = index;
  p.rate_limit_overrides = overrides;
  return p;
}

Policies fault(uint32_t percentage, bool overrides = false) {
  Policies p;
  p.fault = FaultInjection{FaultInjection::Abort{percentage, 503, std::nullopt}, std::nullopt};
  p.fault_overrides = overrides;
  return p;
}

TEST(PoliciesOverlay, TheMoreSpecificDefaultReplacesTheLessSpecificOne) {
  Policies p = rateLimit(0);
  p.overlay(rateLimit(1));
  EXPECT_EQ(p.local_rate_limit, 1u);
}

TEST(PoliciesOverlay, AnOverrideIsNotReplaced) {
  Policies p = rateLimit(0, true);
  p.overlay(rateLimit(1));
  p.overlay(rateLimit(2, true));  // a more specific override loses to the less specific one too
  EXPECT_EQ(p.local_rate_limit, 0u);
  EXPECT_TRUE(p.rate_limit_overrides);
}

TEST(PoliciesOverlay, AMoreSpecificOverrideReplacesALessSpecificDefaultAndStays) {
  Policies p = rateLimit(0);
  p.overlay(rateLimit(1, true));
  p.overlay(rateLimit(2));
  EXPECT_EQ(p.local_rate_limit, 1u);
}

TEST(PoliciesOverlay, MembersOverrideEachOnItsOwn) {
  Policies p = rateLimit(0, true);
  p.fault = fault(10).fault;
  Policies specific = rateLimit(1);
  specific.fault = fault(20).fault;
  p.overlay(specific);
  EXPECT_EQ(p.local_rate_limit, 0u);
  EXPECT_EQ(p.fault->abort->percentage, 20u);
  EXPECT_FALSE(p.fault_overrides);
}

TEST(PoliciesOverlay, AnEmptyMemberReplacesNothing) {
  Policies p = fault(10);
  p.overlay(Policies{});
  EXPECT_EQ(p.fault->abort->percentage, 10u);
}

}  // namespace
}  // namespace gatehouse::snapshot
