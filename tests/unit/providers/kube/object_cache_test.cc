#include "providers/kube/object_cache.h"

#include <gtest/gtest.h>

namespace gatehouse::providers::kube {
namespace {

using model::Json;

const ServedKind& routes() {
  static const WatchedKind kind{"HTTPRoute", "gateway.networking.k8s.io", {"v1"}, "httproutes", true, false, "", false};
  static const ServedKind served{&kind, "v1"};
  return served;
}

Json route(const std::string& rv, const std::string& path, const Json& status = Json()) {
  Json out = {{"metadata",
               {{"name", "r"},
                {"namespace", "ns"},
                {"resourceVersion", rv},
                {"managedFields", Json::array({{{"manager", "kubectl"}}})},
                {"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{...}"}}}}},
              {"spec", {{"path", path}}}};
  if (!status.is_null()) out["status"] = status;
  return out;
}

TEST(ObjectCache, HandsTheStoreTheObjectWithoutStatusAndBookkeeping) {
  ObjectCache cache;
  auto seen = cache.observe(routes(), route("5", "/a", {{"parents", Json::array()}}));
  ASSERT_TRUE(seen && seen->changed);
  EXPECT_EQ(seen->key, (model::ObjectKey{"HTTPRoute", "ns", "r"}));
  EXPECT_EQ(seen->changed->object, Json({{"kind", "HTTPRoute"},
                                         {"apiVersion", "gateway.networking.k8s.io/v1"},
                                         {"metadata", {{"name", "r"}, {"namespace", "ns"}}},
                                         {"spec", {{"path", "/a"}}}}));
  const auto* entry = cache.find(seen->key);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->resource_version, "5");
  EXPECT_EQ(entry->status, Json({{"parents", Json::array()}}));
  EXPECT_EQ(sourceOf(seen->key), "kube:HTTPRoute/ns/r");
}

TEST(ObjectCache, AKindThatKeepsStatusDeliversItAndAStatusChangeIsAChange) {
  const ServedKind services{&provisionedServices(), "v1"};
  auto service = [](const std::string& rv, const Json& status) {
    return Json{{"metadata", {{"name", "gatehouse-gw"}, {"namespace", "ns"}, {"resourceVersion", rv}}},
                {"spec", {{"clusterIP", "10.0.0.7"}}},
                {"status", status}};
  };
  ObjectCache cache;
  auto first = cache.observe(services, service("5", {{"loadBalancer", Json::object()}}));
  ASSERT_TRUE(first && first->changed);
  EXPECT_EQ(first->changed->object["status"], Json({{"loadBalancer", Json::object()}}));
  const Json ingress = {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}}}}}};
  auto second = cache.observe(services, service("6", ingress));
  ASSERT_TRUE(second && second->changed);
  EXPECT_EQ(second->changed->object["status"], ingress);
  EXPECT_EQ(cache.find(second->key)->status, ingress);
}

TEST(ObjectCache, AStatusOrVersionChangeAloneIsNotAChange) {
  ObjectCache cache;
  cache.observe(routes(), route("5", "/a"));
  auto again = cache.observe(routes(), route("6", "/a", {{"parents", Json::array({1})}}));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(cache.find(again->key)->resource_version, "6");
  EXPECT_EQ(cache.find(again->key)->status, Json({{"parents", Json::array({1})}}));
  auto changed = cache.observe(routes(), route("7", "/b"));
  ASSERT_TRUE(changed && changed->changed);
  EXPECT_EQ(changed->changed->object["spec"]["path"], "/b");
}

TEST(ObjectCache, ForgetsAndListsByKind) {
  ObjectCache cache;
  cache.observe(routes(), route("5", "/a"));
  EXPECT_EQ(cache.keysOfKind("HTTPRoute"), (std::vector<model::ObjectKey>{{"HTTPRoute", "ns", "r"}}));
  EXPECT_TRUE(cache.keysOfKind("Gateway").empty());
  EXPECT_TRUE(cache.forget({"HTTPRoute", "ns", "r"}));
  EXPECT_FALSE(cache.forget({"HTTPRoute", "ns", "r"}));
  EXPECT_FALSE(cache.observe(routes(), Json({{"metadata", {{"namespace", "ns"}}}})));  // no name
}

}  // namespace
}  // namespace gatehouse::providers::kube
