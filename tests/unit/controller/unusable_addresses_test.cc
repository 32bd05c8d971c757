#include "controller/unusable_addresses.h"

#include <gtest/gtest.h>

namespace gatehouse::controller {
namespace {

using model::Json;

// A Gateway status as the translator writes it.
model::Packed gatewayStatus(const std::string& programmed_reason, const std::string& address) {
  Json addresses = Json::array();
  if (!address.empty()) addresses.push_back({{"type", "IPAddress"}, {"value", address}});
  const bool programmed = programmed_reason == "Programmed";
  return model::Packed(Json{{"addresses", addresses},
                            {"conditions",
                             {{{"type", "Accepted"}, {"status", "True"}, {"reason", "Accepted"}, {"message", ""}},
                              {{"type", "Programmed"},
                               {"status", programmed ? "True" : "False"},
                               {"reason", programmed_reason},
                               {"message", ""}}}},
                            {"listeners", Json::array()}});
}

const Json& programmed(const Json& status) { return status["conditions"][1]; }

const model::ObjectKey kGw{"Gateway", "ns", "gw"};
const model::ObjectKey kOther{"Gateway", "ns", "other"};

TEST(UnusableAddresses, ProgrammedGatewayOnAnUnusableAddressIsPatched) {
  UnusableAddresses unusable;
  UnusableAddresses::Statuses changed{{kGw, gatewayStatus("Programmed", "127.0.1.9")}};
  unusable.apply(changed, {{"127.0.1.9", "cannot listen on 127.0.1.9:80: refused"}});
  const Json status = changed.at(kGw)->unpack();
  EXPECT_EQ(programmed(status), (Json{{"type", "Programmed"},
                                      {"status", "False"},
                                      {"reason", "AddressNotUsable"},
                                      {"message", "cannot listen on 127.0.1.9:80: refused"}}));
  EXPECT_EQ(status["addresses"], Json::array());
  EXPECT_EQ(status["conditions"][0]["status"], "True");  // Accepted untouched
  EXPECT_TRUE(unusable.any());
}

TEST(UnusableAddresses, GatewayNotProgrammedForAnotherReasonKeepsThatReason) {
  UnusableAddresses unusable;
  const auto invalid = gatewayStatus("Invalid", "");
  UnusableAddresses::Statuses changed{{kGw, invalid}};
  unusable.apply(changed, {{"127.0.1.9", "refused"}});
  EXPECT_EQ(changed.at(kGw), invalid);
}

TEST(UnusableAddresses, SetChangeRepatchesOnlyTheGatewaysItAffects) {
  UnusableAddresses unusable;
  UnusableAddresses::Statuses first{{kGw, gatewayStatus("Programmed", "127.0.1.9")},
                                    {kOther, gatewayStatus("Programmed", "127.0.1.8")}};
  unusable.apply(first, {});
  UnusableAddresses::Statuses changed;
  unusable.apply(changed, {{"127.0.1.9", "refused"}});  // a retry, nothing translated
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(programmed(changed.at(kGw)->unpack())["reason"], "AddressNotUsable");
  changed.clear();
  unusable.apply(changed, {});  // bound at last: back to the translated status
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.at(kGw), gatewayStatus("Programmed", "127.0.1.9"));
  EXPECT_FALSE(unusable.any());
  changed.clear();
  unusable.apply(changed, {});
  EXPECT_TRUE(changed.empty());
}

TEST(UnusableAddresses, DeletedGatewayIsForgotten) {
  UnusableAddresses unusable;
  UnusableAddresses::Statuses changed{{kGw, gatewayStatus("Programmed", "127.0.1.9")}};
  unusable.apply(changed, {});
  UnusableAddresses::Statuses deleted{{kGw, std::nullopt}};
  unusable.apply(deleted, {});
  UnusableAddresses::Statuses later;
  unusable.apply(later, {{"127.0.1.9", "refused"}});
  EXPECT_TRUE(later.empty());
}

}  // namespace
}  // namespace gatehouse::controller
