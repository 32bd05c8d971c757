#include "controller/data_plane_gate.h"

#include <gtest/gtest.h>

namespace gatehouse::controller {
namespace {

using model::Json;

// As the translator writes it: an address of its pool.
model::Packed gatewayStatus(bool programmed) {
  return model::Packed(Json{{"addresses", {{{"type", "IPAddress"}, {"value", "127.0.1.1"}}}},
                            {"conditions",
                             {{{"type", "Accepted"}, {"status", "True"}, {"reason", "Accepted"}, {"message", ""}},
                              {{"type", "Programmed"},
                               {"status", programmed ? "True" : "False"},
                               {"reason", programmed ? "Programmed" : "Invalid"},
                               {"message", ""}}}}});
}

const Json& programmed(const model::Packed& status) {
  static Json json;
  json = status.unpack();
  return json["conditions"][1];
}

const Json kServiceAddresses = {{{"type", "IPAddress"}, {"value", "10.0.0.7"}}, {{"type", "Hostname"}, {"value", "lb.example.com"}}};
const model::ObjectKey kGw{"Gateway", "ns", "gw"};
const model::ObjectKey kOther{"Gateway", "ns", "other"};
const Json kPending{{"type", "Programmed"},
                    {"status", "False"},
                    {"reason", "Pending"},
                    {"message", "Waiting for the Gateway's data plane to apply its config"}};

TEST(DataPlaneGate, DisabledLeavesStatusesAsTranslated) {
  DataPlaneGate gate(false);
  DataPlaneGate::Statuses changed{{kGw, gatewayStatus(true)}};
  gate.apply(changed);
  EXPECT_EQ(programmed(*changed.at(kGw))["status"], "True");
}

TEST(DataPlaneGate, ProgrammedGatewayWithoutLiveDataPlaneIsPending) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses changed{{kGw, gatewayStatus(true)}};
  gate.apply(changed);
  EXPECT_EQ(programmed(*changed.at(kGw)), kPending);
  EXPECT_EQ(changed.at(kGw)->unpack()["conditions"][0]["status"], "True");  // Accepted untouched
}

TEST(DataPlaneGate, NotProgrammedGatewayKeepsItsReason) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses changed{{kGw, gatewayStatus(false)}};
  gate.apply(changed);
  EXPECT_EQ(programmed(*changed.at(kGw))["reason"], "Invalid");
}

TEST(DataPlaneGate, GoingLiveRepublishesOnlyThatGatewayAsTranslated) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses addressed;
  gate.setAddresses(addressed, {{"ns/gw", kServiceAddresses}, {"ns/other", kServiceAddresses}});
  DataPlaneGate::Statuses first{{kGw, gatewayStatus(true)}, {kOther, gatewayStatus(true)}};
  gate.apply(first);
  DataPlaneGate::Statuses changed;
  gate.setLive(changed, {"ns/gw"});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(programmed(*changed.at(kGw))["status"], "True");
  EXPECT_EQ(programmed(*changed.at(kGw))["reason"], "Programmed");

  DataPlaneGate::Statuses later{{kGw, gatewayStatus(true)}};
  gate.apply(later);
  EXPECT_EQ(programmed(*later.at(kGw))["status"], "True") << "a new status of a live Gateway stays Programmed";
}

TEST(DataPlaneGate, LosingTheDataPlaneMakesItPendingAgain) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses addressed;
  gate.setAddresses(addressed, {{"ns/gw", kServiceAddresses}});
  DataPlaneGate::Statuses first{{kGw, gatewayStatus(true)}};
  gate.apply(first);
  DataPlaneGate::Statuses changed;
  gate.setLive(changed, {"ns/gw"});
  changed.clear();
  gate.setLive(changed, {});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(programmed(*changed.at(kGw)), kPending);
}

TEST(DataPlaneGate, DeletedGatewayIsForgotten) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses first{{kGw, gatewayStatus(true)}};
  gate.apply(first);
  DataPlaneGate::Statuses deleted{{kGw, std::nullopt}};
  gate.apply(deleted);
  DataPlaneGate::Statuses changed;
  gate.setLive(changed, {"ns/gw"});
  EXPECT_TRUE(changed.empty());
}

TEST(DataPlaneGate, AddressesAreTheServicesNotThePools) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses none;
  gate.setAddresses(none, {{"ns/gw", kServiceAddresses}});
  EXPECT_TRUE(none.empty()) << "no Gateway status known yet";
  DataPlaneGate::Statuses changed{{kGw, gatewayStatus(true)}};
  gate.apply(changed);
  EXPECT_EQ(changed.at(kGw)->unpack()["addresses"], kServiceAddresses);
}

TEST(DataPlaneGate, LiveGatewayWithoutServiceAddressIsAddressNotAssigned) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses first{{kGw, gatewayStatus(true)}};
  gate.apply(first);
  DataPlaneGate::Statuses changed;
  gate.setLive(changed, {"ns/gw"});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.at(kGw)->unpack()["addresses"], Json::array());
  EXPECT_EQ(programmed(*changed.at(kGw)), (Json{{"type", "Programmed"},
                                                {"status", "False"},
                                                {"reason", "AddressNotAssigned"},
                                                {"message", "Waiting for the data plane's Service to have an address"}}));

  changed.clear();
  gate.setAddresses(changed, {{"ns/gw", kServiceAddresses}});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.at(kGw)->unpack()["addresses"], kServiceAddresses);
  EXPECT_EQ(programmed(*changed.at(kGw))["reason"], "Programmed");
}

TEST(DataPlaneGate, ServiceAddressChangeRepublishesOnlyItsGateway) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses addressed;
  gate.setAddresses(addressed, {{"ns/gw", kServiceAddresses}, {"ns/other", kServiceAddresses}});
  DataPlaneGate::Statuses first{{kGw, gatewayStatus(true)}, {kOther, gatewayStatus(true)}};
  gate.apply(first);
  const Json moved = {{{"type", "IPAddress"}, {"value", "10.0.0.8"}}};
  DataPlaneGate::Statuses changed;
  gate.setAddresses(changed, {{"ns/gw", moved}, {"ns/other", kServiceAddresses}});
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed.at(kGw)->unpack()["addresses"], moved);
}

TEST(DataPlaneGate, GatewayWithoutTranslatedAddressGetsNoServiceAddress) {
  DataPlaneGate gate(true);
  DataPlaneGate::Statuses addressed;
  gate.setAddresses(addressed, {{"ns/gw", kServiceAddresses}});
  Json not_accepted = gatewayStatus(false).unpack();
  not_accepted["addresses"] = Json::array();
  DataPlaneGate::Statuses changed{{kGw, model::Packed(not_accepted)}};
  gate.apply(changed);
  EXPECT_EQ(changed.at(kGw)->unpack()["addresses"], Json::array());
}

}  // namespace
}  // namespace gatehouse::controller
