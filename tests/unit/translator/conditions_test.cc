#include "translator/conditions.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

TEST(Conditions, SetConditionReplacesTheConditionOfTheSameTypeInPlace) {
  Conditions conditions;
  setCondition(conditions, {condition::kAccepted, true, reason::kAccepted, ""});
  setCondition(conditions, {condition::kResolvedRefs, true, reason::kResolvedRefs, ""});
  setCondition(conditions, {condition::kAccepted, false, reason::kNoMatchingParent, "no listener"});
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0].type, "Accepted");
  EXPECT_FALSE(conditions[0].status);
  EXPECT_EQ(conditions[0].reason, "NoMatchingParent");
  EXPECT_EQ(conditions[1].type, "ResolvedRefs");
}

TEST(Conditions, FindConditionReturnsNullForAnAbsentType) {
  Conditions conditions;
  setCondition(conditions, {condition::kAccepted, true, reason::kAccepted, ""});
  ASSERT_NE(findCondition(conditions, "Accepted"), nullptr);
  EXPECT_EQ(findCondition(conditions, "Programmed"), nullptr);
}

TEST(Conditions, ToJsonWritesStatusAsStringsWithObservedGeneration) {
  Conditions conditions;
  setCondition(conditions, {condition::kConflicted, false, reason::kNoConflicts, ""});
  setCondition(conditions, {condition::kProgrammed, true, reason::kProgrammed, "ok"});
  EXPECT_EQ(toJson(conditions, 7), nlohmann::json::parse(R"([
    {"type": "Conflicted", "status": "False", "reason": "NoConflicts", "message": "", "observedGeneration": 7},
    {"type": "Programmed", "status": "True", "reason": "Programmed", "message": "ok", "observedGeneration": 7}
  ])"));
}

TEST(Conditions, ReasonsAreTheSpecsStrings) {
  EXPECT_STREQ(reason::kRefNotPermitted, "RefNotPermitted");
  EXPECT_STREQ(reason::kInvalidRouteKinds, "InvalidRouteKinds");
  EXPECT_STREQ(reason::kNoMatchingListenerHostname, "NoMatchingListenerHostname");
  EXPECT_STREQ(reason::kUnsupportedTLSMode, "UnsupportedTLSMode");
}

}  // namespace
}  // namespace gatehouse::translator
