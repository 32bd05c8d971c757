#include "providers/kube/data_plane_names.h"

#include <gtest/gtest.h>

#include <regex>

namespace gatehouse::providers::kube {
namespace {

bool isDns1035Label(const std::string& s) {
  return s.size() <= 63 && std::regex_match(s, std::regex("[a-z]([-a-z0-9]*[a-z0-9])?"));
}

TEST(DataPlaneName, ShortNameIsPrefixed) { EXPECT_EQ(dataPlaneName("web"), "gatehouse-web"); }

TEST(DataPlaneName, FiftyThreeCharactersStillFitUnhashed) {
  const std::string name(53, 'a');
  EXPECT_EQ(dataPlaneName(name), "gatehouse-" + name);
}

TEST(DataPlaneName, LongerNamesAreTruncatedAndHashedToSixtyThree) {
  const std::string name(253, 'a');
  const std::string derived = dataPlaneName(name);
  EXPECT_EQ(derived.size(), 63u);
  EXPECT_TRUE(isDns1035Label(derived)) << derived;
  EXPECT_EQ(derived.substr(0, 55), "gatehouse-" + std::string(44, 'a') + "-");
  EXPECT_NE(derived, dataPlaneName(std::string(252, 'a') + "b")) << "names differing past the cut stay distinct";
}

TEST(DataPlaneName, DotsAreReplacedAndHashedSoTheDashedTwinDiffers) {
  const std::string dotted = dataPlaneName("api.example");
  EXPECT_TRUE(isDns1035Label(dotted)) << dotted;
  EXPECT_EQ(dotted.substr(0, 22), "gatehouse-api-example-");
  EXPECT_EQ(dataPlaneName("api-example"), "gatehouse-api-example");
}

TEST(DataPlaneName, IsStable) { EXPECT_EQ(dataPlaneName("a.b"), dataPlaneName("a.b")); }

TEST(DataPlaneUser, IsTheServiceAccountOfTheGatewaysNamespace) {
  EXPECT_EQ(dataPlaneUser("infra", "web"), "system:serviceaccount:infra:gatehouse-web");
}

}  // namespace
}  // namespace gatehouse::providers::kube
