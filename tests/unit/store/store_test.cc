#include "store/store.h"

#include <gtest/gtest.h>

#include "model/manifest.h"
#include "model/types/core.h"

namespace gatehouse::store {
namespace {

// What a provider would deliver for `source` holding the objects of `yaml`.
SourceUpdate upserts(const std::string& source, const std::string& yaml) {
  SourceUpdate update{source, {}, {}, {}};
  auto docs = model::decodeManifests(yaml);
  for (auto& object : *docs) update.upserts.push_back({model::objectKeyOf(object).value(), object});
  return update;
}

SourceUpdate deletes(const std::string& source, std::vector<model::ObjectKey> keys) {
  return {source, {}, std::move(keys), {}};
}

const model::ObjectKey kWeb{"HTTPRoute", "apps", "web"};

constexpr const char* kRoute = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: web, port: %PORT%}]}]
)";

std::string route(int port) {
  std::string s = kRoute;
  s.replace(s.find("%PORT%"), 6, std::to_string(port));
  return s;
}

Store::Clock fixedClock(std::string* now) {
  return [now] { return *now; };
}

model::ResourcePtr find(const Store& store, const std::string& kind, const std::string& ns, const std::string& name) {
  return store.view()->find(model::ObjectKey{kind, ns, name});
}

TEST(Store, NewObjectStartsAtGenerationOneWithFirstSeenTimestamp) {
  std::string now = "2026-01-01T00:00:00Z";
  Store store(fixedClock(&now));
  ASSERT_TRUE(store.apply(upserts("a.yaml", route(80))));
  auto r = find(store, "HTTPRoute", "apps", "web");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->generation, 1);
  EXPECT_EQ(r->creation_timestamp, "2026-01-01T00:00:00Z");
  EXPECT_EQ(r->object()["metadata"]["generation"], 1);
}

TEST(Store, RewritingTheSameContentIsNoChange) {
  Store store;
  ASSERT_TRUE(store.apply(upserts("a.yaml", route(80))));
  EXPECT_EQ(store.takeChanges().size(), 1u);
  const auto before = find(store, "HTTPRoute", "apps", "web");
  EXPECT_FALSE(store.apply(upserts("a.yaml", route(80))));
  EXPECT_TRUE(store.takeChanges().empty());
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web"), before);  // the same object, not a copy
}

TEST(Store, ChangesNameAddedChangedAndDeletedObjects) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  store.takeChanges();
  store.apply(upserts("a.yaml", route(81)));
  store.apply(deletes("a.yaml", {kWeb}));
  store.apply(upserts("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"));
  std::set<std::string> changed;
  for (const auto& key : store.takeChanges()) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"HTTPRoute/apps/web", "Namespace/apps"}));
  EXPECT_EQ(store.live().objects.size(), 1u);
}

TEST(Store, SpecChangeBumpsGenerationAndKeepsCreationTimestamp) {
  std::string now = "2026-01-01T00:00:00Z";
  Store store(fixedClock(&now));
  store.apply(upserts("a.yaml", route(80)));
  now = "2026-01-02T00:00:00Z";
  ASSERT_TRUE(store.apply(upserts("a.yaml", route(81))));
  auto r = find(store, "HTTPRoute", "apps", "web");
  EXPECT_EQ(r->generation, 2);
  EXPECT_EQ(r->creation_timestamp, "2026-01-01T00:00:00Z");
}

TEST(Store, FromTheServerTheGenerationIsTheServers) {
  Store store({}, Generation::FromServer);
  std::string served = route(80);
  served.replace(served.find("namespace: apps}"), 16, "namespace: apps, generation: 7}");
  store.apply(upserts("kube:HTTPRoute/apps/web", served));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->generation, 7);
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->object()["metadata"]["generation"], 7);
  // Counted (standalone), a generation in a file is not trusted.
  Store counted;
  counted.apply(upserts("a.yaml", served));
  EXPECT_EQ(find(counted, "HTTPRoute", "apps", "web")->generation, 1);
}

TEST(Store, MetadataOnlyChangeKeepsGeneration) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  std::string labelled = route(80);
  labelled.replace(labelled.find("namespace: apps}"), 16, "namespace: apps, labels: {a: b}}");
  ASSERT_TRUE(store.apply(upserts("a.yaml", labelled)));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->generation, 1);
}

TEST(Store, ExplicitCreationTimestampWins) {
  Store store;
  std::string r = route(80);
  r.replace(r.find("namespace: apps}"), 16, "namespace: apps, creationTimestamp: \"2020-05-05T00:00:00Z\"}");
  store.apply(upserts("a.yaml", r));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->creation_timestamp, "2020-05-05T00:00:00Z");
}

TEST(Store, NamespaceGetsMetadataNameLabel) {
  Store store;
  store.apply(upserts("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n"));
  auto ns = find(store, "Namespace", "", "apps");
  ASSERT_NE(ns, nullptr);
  ASSERT_NE(ns->as<model::Namespace>(), nullptr);
  EXPECT_EQ(ns->as<model::Namespace>()->labels.at("kubernetes.io/metadata.name"), "apps");
}

TEST(Store, KeepsManifestsOfGatewayApiObjectsGatehousePoliciesAndUntypedKindsOnly) {
  Store store;
  store.apply(upserts("all.yaml",
                      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: apps}\n"
                      "spec: {ports: [{port: 80}]}\n---\n"
                      "apiVersion: gatehouse.dev/v1alpha1\nkind: RateLimitPolicy\nmetadata: {name: r, namespace: apps}\n"
                      "spec: {targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}],"
                      " local: {requests: 5, window: 1s}}\n---\n"
                      "apiVersion: gatehouse.dev/v1alpha1\nkind: GatehouseParameters\nmetadata: {name: p, namespace: apps}\n"
                      "spec: {replicas: 2}\n---\n"
                      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gc}\n"
                      "spec: {controllerName: example.com/c}\n"));
  EXPECT_TRUE(find(store, "Service", "apps", "s")->object().is_null());
  EXPECT_EQ(find(store, "GatehouseParameters", "apps", "p")->spec()["replicas"], 2);
  const auto policy = find(store, "RateLimitPolicy", "apps", "r");
  ASSERT_NE(policy, nullptr);
  ASSERT_NE(policy->typed, nullptr);
  EXPECT_EQ(policy->spec()["local"]["requests"], 5);
  EXPECT_EQ(find(store, "GatewayClass", "", "gc")->spec()["controllerName"], "example.com/c");
}

TEST(Store, IdenticalRewriteOfAnObjectWithoutManifestIsNoChange) {
  Store store;
  auto svc = [](int port) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: apps}\nspec: {ports: [{port: " +
           std::to_string(port) + "}]}\n";
  };
  store.apply(upserts("svc.yaml", svc(80)));
  const auto revision = store.live().revision;
  store.apply(upserts("svc.yaml", svc(80)));
  EXPECT_EQ(store.live().revision, revision);
  store.apply(upserts("svc.yaml", svc(81)));
  EXPECT_GT(store.live().revision, revision);
}

TEST(Store, InvalidObjectKeepsLastValidVersionAndNamesTheField) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  EXPECT_FALSE(store.apply(upserts("a.yaml", route(70000))));
  auto r = find(store, "HTTPRoute", "apps", "web");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->spec()["rules"][0]["backendRefs"][0]["port"], 80);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].object, "HTTPRoute/apps/web");
  EXPECT_EQ(store.errors()[0].field, "spec.rules[0].backendRefs[0].port");
}

TEST(Store, SameObjectInTwoFilesIsAnErrorForTheSecond) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  store.apply(upserts("b.yaml", route(81)));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->spec()["rules"][0]["backendRefs"][0]["port"], 80);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].reason, "already defined in a.yaml");
  EXPECT_EQ(store.errors()[0].source, "b.yaml");
}

TEST(Store, DeleteByASourceThatDoesNotDefineTheObjectIsIgnored) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  store.apply(upserts("b.yaml", route(81)));  // refused: a.yaml defines it
  EXPECT_FALSE(store.apply(deletes("b.yaml", {kWeb})));
  EXPECT_NE(find(store, "HTTPRoute", "apps", "web"), nullptr);
  EXPECT_TRUE(store.errors().empty());  // b.yaml's update replaced its errors
}

TEST(Store, DeleteByTheDefiningSourceDeletes) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  store.takeChanges();
  ASSERT_TRUE(store.apply(deletes("a.yaml", {kWeb})));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web"), nullptr);
  EXPECT_EQ(store.takeChanges(), std::set<model::ObjectKey>{kWeb});
}

TEST(Store, ProviderErrorsAreKeptUnderTheSourceUntilItsNextUpdate) {
  Store store;
  SourceUpdate unreadable{"a.yaml", {}, {}, {{"", "", "", "not YAML"}}};
  EXPECT_FALSE(store.apply(unreadable));
  ASSERT_EQ(store.errors("a.yaml").size(), 1u);
  EXPECT_EQ(store.errors("a.yaml")[0].str(), "a.yaml: not YAML");
  store.apply(upserts("a.yaml", route(80)));
  EXPECT_TRUE(store.errors().empty());
}

TEST(Store, ErrorsRevisionMovesOnlyWhenSomeErrorChanges) {
  Store store;
  const uint64_t start = store.errorsRevision();
  store.apply(upserts("a.yaml", route(80)));
  EXPECT_EQ(store.errorsRevision(), start);  // no errors before or after
  store.apply(upserts("a.yaml", route(70000)));
  const uint64_t broken = store.errorsRevision();
  EXPECT_GT(broken, start);
  store.apply(upserts("a.yaml", route(70000)));
  EXPECT_EQ(store.errorsRevision(), broken);  // the same error again
  store.apply(upserts("a.yaml", route(0)));
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_GT(store.errorsRevision(), broken);  // as many errors, but another one
}

TEST(Store, PreparedUpdateAppliesLikeTheUpdate) {
  Store store;
  auto prepared = Store::prepare(upserts("a.yaml", route(70000)));
  ASSERT_EQ(prepared.upserts.size(), 1u);
  EXPECT_EQ(prepared.upserts[0].field_errors.size(), 1u);
  EXPECT_FALSE(store.apply(std::move(prepared)));
  EXPECT_EQ(store.errors().size(), 1u);
}

TEST(Store, DefaultsAreApplied) {
  Store store;
  store.apply(upserts("a.yaml", route(80)));
  auto r = find(store, "HTTPRoute", "apps", "web");
  EXPECT_EQ(r->spec()["parentRefs"][0]["kind"], "Gateway");
  EXPECT_EQ(r->spec()["rules"][0]["backendRefs"][0]["weight"], 1);
}


TEST(Store, UnhandledKindIsKeptWithoutErrorAndReportedOnce) {
  Store store;
  const char* deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n";
  ASSERT_TRUE(store.apply(upserts("d.yaml", deployment)));
  EXPECT_TRUE(store.errors().empty());
  EXPECT_NE(store.view()->find(model::ObjectKey{"Deployment", "apps", "web"}), nullptr);
  EXPECT_EQ(store.takeNewlyUnhandledKinds(), std::vector<std::string>{"Deployment"});
  store.apply(upserts("e.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: apps}\n"));
  EXPECT_TRUE(store.takeNewlyUnhandledKinds().empty());
}


}  // namespace
}  // namespace gatehouse::store
