// Translator behaviour that the goldens cannot show: inputs carried between runs (pool
// assignments, addresses the data plane could not bind) and options.
#include "translator/translator.h"

#include "../providers/file/file_store.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

constexpr const char* kClass = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: gatehouse.dev/gateway-controller}
)";

std::string gateway(const std::string& name, const std::string& address = "") {
  std::string out = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " + name +
                    ", namespace: ns}\nspec:\n  gatewayClassName: gc\n";
  if (!address.empty()) out += "  addresses: [{value: " + address + "}]\n";
  return out + "  listeners: [{name: http, port: 80, protocol: HTTP}]\n";
}

const model::Json* condition(const model::Json& status, const std::string& type) {
  for (const auto& c : status["conditions"])
    if (c["type"] == type) return &c;
  return nullptr;
}

struct Fixture {
  providers::FileStore store;
  Options options;
  Output run(const std::string& manifests, Input input = {}) {
    store.applyFile("all.yaml", manifests);
    auto view = store.view();
    input.view = view.get();
    return translate(options, input);
  }
};

TEST(Translator, PoolAddressesAreHandedOutInOrderAndKept) {
  Fixture f;
  auto first = f.run(std::string(kClass) + gateway("a") + gateway("b"));
  EXPECT_EQ(first.pool_assignments.at("ns/a"), "127.0.1.1");
  EXPECT_EQ(first.pool_assignments.at("ns/b"), "127.0.1.2");
  // "a" goes away and comes back: "b" keeps its address, "a" gets the lowest free one again.
  Input input;
  input.pool_assignments = {{"ns/b", "127.0.1.2"}};
  auto second = f.run(std::string(kClass) + gateway("c") + gateway("b"), input);
  EXPECT_EQ(second.pool_assignments.at("ns/b"), "127.0.1.2");
  EXPECT_EQ(second.pool_assignments.at("ns/c"), "127.0.1.1");
}

TEST(Translator, ExhaustedPoolLeavesGatewayNotProgrammed) {
  Fixture f;
  f.options.address_pool = "127.0.1.7/32";
  auto out = f.run(std::string(kClass) + gateway("a") + gateway("b"));
  const auto& b = out.statuses.at(model::ObjectKey{"Gateway", "ns", "b"});
  ASSERT_NE(condition(b, "Programmed"), nullptr);
  EXPECT_EQ((*condition(b, "Programmed"))["status"], "False");
  EXPECT_EQ((*condition(b, "Programmed"))["reason"], "AddressNotAssigned");
  EXPECT_TRUE(b["addresses"].empty());
}

TEST(Translator, SupportedFeaturesAreSortedObjects) {
  Fixture f;
  f.options.supported_features = {"HTTPRoute", "Gateway"};
  auto out = f.run(kClass);
  EXPECT_EQ(out.statuses.at(model::ObjectKey{"GatewayClass", "", "gc"})["supportedFeatures"],
            model::Json::parse(R"([{"name":"Gateway"},{"name":"HTTPRoute"}])"));
}

TEST(Translator, OtherControllersClassesGetNoStatus) {
  Fixture f;
  auto out = f.run(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: theirs}
spec: {controllerName: example.com/other}
)" + gateway("a"));
  EXPECT_TRUE(out.statuses.empty());
  EXPECT_TRUE(out.snapshot->sockets.empty());
}

}  // namespace
}  // namespace gatehouse::translator
