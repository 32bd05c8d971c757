#include "providers/kube/data_plane_addresses.h"

#include <gtest/gtest.h>

namespace gatehouse::providers::kube {
namespace {

using model::Json;

Json service(const std::string& name, const std::string& gateway, const Json& spec, const Json& status = Json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", "ns"}, {"annotations", {{"gatehouse.dev/gateway", gateway}}}}},
          {"spec", spec},
          {"status", status}};
}

store::SourceUpdate upsert(const Json& object) {
  const model::ObjectKey key{"Service", object["metadata"]["namespace"], object["metadata"]["name"]};
  return {"kube:" + key.str(), {{key, object}}, {}, {}};
}

store::SourceUpdate removal(const std::string& name) { return {"kube:Service/ns/" + name, {}, {{"Service", "ns", name}}, {}}; }

const Json kLoadBalancer = {{"type", "LoadBalancer"}, {"clusterIP", "10.96.0.7"}};

TEST(GatewayAddressesOf, LoadBalancerIngressIpsAndHostnamesInOrder) {
  const Json status = {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}, {{"hostname", "lb.example.com"}}, Json::object()}}}}};
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", kLoadBalancer, status)),
            (Json{{{"type", "IPAddress"}, {"value", "192.0.2.10"}}, {{"type", "Hostname"}, {"value", "lb.example.com"}}}));
}

TEST(GatewayAddressesOf, ClusterIpUntilTheLoadBalancerHasAnAddress) {
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", kLoadBalancer, {{"loadBalancer", Json::object()}})),
            (Json{{{"type", "IPAddress"}, {"value", "10.96.0.7"}}}));
}

TEST(GatewayAddressesOf, IngressOfAServiceNoLongerALoadBalancerIsIgnored) {
  const Json status = {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}}}}}};
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", {{"type", "ClusterIP"}, {"clusterIP", "10.96.0.7"}}, status)),
            (Json{{{"type", "IPAddress"}, {"value", "10.96.0.7"}}}));
}

TEST(GatewayAddressesOf, ExternalIpsFirstThenTheLoadBalancersAndNoClusterIp) {
  Json spec = kLoadBalancer;
  spec["externalIPs"] = {"198.51.100.1"};
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", spec, {{"loadBalancer", Json::object()}})),
            (Json{{{"type", "IPAddress"}, {"value", "198.51.100.1"}}}));
  const Json status = {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}}}}}};
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", spec, status)),
            (Json{{{"type", "IPAddress"}, {"value", "198.51.100.1"}}, {{"type", "IPAddress"}, {"value", "192.0.2.10"}}}));
}

TEST(GatewayAddressesOf, HeadlessServiceHasNone) {
  EXPECT_EQ(gatewayAddressesOf(service("gatehouse-gw", "ns/gw", {{"type", "ClusterIP"}, {"clusterIP", "None"}})), Json::array());
}

TEST(DataPlaneAddresses, ServiceGivesItsGatewayAddressesUntilDeleted) {
  DataPlaneAddresses addresses;
  EXPECT_TRUE(addresses.update({upsert(service("gatehouse-gw", "ns/gw", kLoadBalancer))}));
  EXPECT_EQ(addresses.byGateway(), (std::map<std::string, Json>{{"ns/gw", {{{"type", "IPAddress"}, {"value", "10.96.0.7"}}}}}));
  EXPECT_FALSE(addresses.update({upsert(service("gatehouse-gw", "ns/gw", kLoadBalancer))})) << "nothing changed";
  EXPECT_TRUE(addresses.update(
      {upsert(service("gatehouse-gw", "ns/gw", kLoadBalancer, {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}}}}}}))}));
  EXPECT_EQ(addresses.byGateway().at("ns/gw"), (Json{{{"type", "IPAddress"}, {"value", "192.0.2.10"}}}));
  EXPECT_TRUE(addresses.update({removal("gatehouse-gw")}));
  EXPECT_TRUE(addresses.byGateway().empty());
}

TEST(DataPlaneAddresses, AServiceCountsOnlyUnderItsGatewaysDataPlaneName) {
  DataPlaneAddresses addresses;
  EXPECT_FALSE(addresses.update({upsert(service("impostor", "ns/gw", kLoadBalancer)),
                                 upsert(service("gatehouse-gw", "other/gw", kLoadBalancer)),
                                 upsert(service("gatehouse-gw", "no-slash", kLoadBalancer))}));
  EXPECT_TRUE(addresses.byGateway().empty());
}

TEST(DataPlaneAddresses, AnAnnotationChangedAwayDropsTheOldGateway) {
  DataPlaneAddresses addresses;
  addresses.update({upsert(service("gatehouse-gw", "ns/gw", kLoadBalancer))});
  EXPECT_TRUE(addresses.update({upsert(service("gatehouse-gw", "ns/other", kLoadBalancer))}));
  EXPECT_TRUE(addresses.byGateway().empty());
}

}  // namespace
}  // namespace gatehouse::providers::kube
