#include "providers/kube/status_merge.h"

#include <gtest/gtest.h>

namespace gatehouse::providers::kube {
namespace {

using model::Json;

const std::string kOurs = "gatehouse.dev/gateway-controller";

Json parent(const std::string& gateway, const std::string& controller, const std::string& status,
            const std::string& since) {
  return {{"parentRef", {{"name", gateway}}},
          {"controllerName", controller},
          {"conditions", Json::array({{{"type", "Accepted"}, {"status", status}, {"reason", "R"}, {"lastTransitionTime", since}}})}};
}

TEST(StatusMerge, KeepsOtherControllersParentsAndReplacesOurs) {
  Json live = {{"parents", {parent("theirs", "other.example/c", "True", "T0"), parent("gw", kOurs, "False", "T0")}}};
  Json ours = {{"parents", {parent("gw", kOurs, "True", "T1")}}};
  Json merged = mergeStatus(ours, live, kOurs);
  EXPECT_EQ(merged, Json({{"parents", {parent("theirs", "other.example/c", "True", "T0"), parent("gw", kOurs, "True", "T1")}}}));
}

TEST(StatusMerge, DropsOurEntriesThatAreNoLongerComputed) {
  Json live = {{"parents", {parent("theirs", "other.example/c", "True", "T0"), parent("gw", kOurs, "True", "T0")}}};
  Json merged = mergeStatus(Json::object(), live, kOurs);
  EXPECT_EQ(merged, Json({{"parents", {parent("theirs", "other.example/c", "True", "T0")}}}));
}

TEST(StatusMerge, AnObjectWithoutOurEntriesNowOrBeforeGetsNoParentsList) {
  EXPECT_EQ(mergeStatus(Json::object(), Json(), kOurs), Json::object());
  // ... but an emptied list is written once we had entries there.
  Json live = {{"parents", {parent("gw", kOurs, "True", "T0")}}};
  EXPECT_EQ(mergeStatus(Json::object(), live, kOurs), Json({{"parents", Json::array()}}));
}

TEST(StatusMerge, ConditionsThatKeepTheirStatusKeepTheServersTransitionTime) {
  Json live = {{"conditions", {{{"type", "Accepted"}, {"status", "True"}, {"lastTransitionTime", "T0"}},
                               {{"type", "Programmed"}, {"status", "False"}, {"lastTransitionTime", "T0"}}}},
               {"listeners", {{{"name", "http"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "T0"}}}}}}}};
  Json ours = {{"conditions", {{{"type", "Accepted"}, {"status", "True"}, {"lastTransitionTime", "T1"}},
                               {{"type", "Programmed"}, {"status", "True"}, {"lastTransitionTime", "T1"}}}},
               {"listeners", {{{"name", "http"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "T1"}}}}}}}};
  Json merged = mergeStatus(ours, live, kOurs);
  EXPECT_EQ(merged["conditions"][0]["lastTransitionTime"], "T0");
  EXPECT_EQ(merged["conditions"][1]["lastTransitionTime"], "T1");  // status changed: the transition is now
  EXPECT_EQ(merged["listeners"][0]["conditions"][0]["lastTransitionTime"], "T0");
  // Our parent entry's conditions too, matched by parentRef.
  Json route_live = {{"parents", {parent("gw", kOurs, "True", "T0")}}};
  Json route_ours = {{"parents", {parent("gw", kOurs, "True", "T1")}}};
  EXPECT_EQ(mergeStatus(route_ours, route_live, kOurs), route_live);
}

TEST(StatusMerge, PolicyAncestorsAreSharedLikeRouteParents) {
  Json theirs = {{"ancestorRef", {{"name", "a"}}}, {"controllerName", "other.example/c"}};
  Json mine = {{"ancestorRef", {{"name", "a"}}}, {"controllerName", kOurs}};
  EXPECT_EQ(mergeStatus({{"ancestors", {mine}}}, {{"ancestors", {theirs}}}, kOurs), Json({{"ancestors", {theirs, mine}}}));
}

TEST(StatusPatch, CarriesTheResourceVersionAndNullsWhatOurStatusNoLongerHas) {
  Json live = {{"addresses", Json::array({{{"value", "10.0.0.1"}}})}, {"conditions", Json::array()}};
  Json desired = {{"conditions", Json::array({{{"type", "Accepted"}}})}};
  EXPECT_EQ(statusPatch(desired, live, "42"),
            Json({{"metadata", {{"resourceVersion", "42"}}},
                  {"status", {{"conditions", Json::array({{{"type", "Accepted"}}})}, {"addresses", nullptr}}}}));
}

}  // namespace
}  // namespace gatehouse::providers::kube
