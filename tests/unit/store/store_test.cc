#include "store/store.h"

#include <gtest/gtest.h>

namespace gatehouse::store {
namespace {

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
  ASSERT_TRUE(store.applyFile("a.yaml", route(80)));
  auto r = find(store, "HTTPRoute", "apps", "web");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->generation, 1);
  EXPECT_EQ(r->creation_timestamp, "2026-01-01T00:00:00Z");
  EXPECT_EQ(r->object()["metadata"]["generation"], 1);
}

TEST(Store, RewritingTheSameContentIsNoChange) {
  Store store;
  ASSERT_TRUE(store.applyFile("a.yaml", route(80)));
  EXPECT_EQ(store.takeChanges().size(), 1u);
  const auto before = find(store, "HTTPRoute", "apps", "web");
  EXPECT_FALSE(store.applyFile("a.yaml", route(80)));
  EXPECT_TRUE(store.takeChanges().empty());
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web"), before);  // the same object, not a copy
}

TEST(Store, ChangesNameAddedChangedAndDeletedObjects) {
  Store store;
  store.applyFile("a.yaml", route(80));
  store.takeChanges();
  store.applyFile("a.yaml", route(81));
  store.removeFile("a.yaml");
  store.applyFile("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n");
  std::set<std::string> changed;
  for (const auto& key : store.takeChanges()) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"HTTPRoute/apps/web", "Namespace/apps"}));
  EXPECT_EQ(store.live().objects.size(), 1u);
}

TEST(Store, SpecChangeBumpsGenerationAndKeepsCreationTimestamp) {
  std::string now = "2026-01-01T00:00:00Z";
  Store store(fixedClock(&now));
  store.applyFile("a.yaml", route(80));
  now = "2026-01-02T00:00:00Z";
  ASSERT_TRUE(store.applyFile("a.yaml", route(81)));
  auto r = find(store, "HTTPRoute", "apps", "web");
  EXPECT_EQ(r->generation, 2);
  EXPECT_EQ(r->creation_timestamp, "2026-01-01T00:00:00Z");
}

TEST(Store, MetadataOnlyChangeKeepsGeneration) {
  Store store;
  store.applyFile("a.yaml", route(80));
  std::string labelled = route(80);
  labelled.replace(labelled.find("namespace: apps}"), 16, "namespace: apps, labels: {a: b}}");
  ASSERT_TRUE(store.applyFile("a.yaml", labelled));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->generation, 1);
}

TEST(Store, ExplicitCreationTimestampWins) {
  Store store;
  std::string r = route(80);
  r.replace(r.find("namespace: apps}"), 16, "namespace: apps, creationTimestamp: \"2020-05-05T00:00:00Z\"}");
  store.applyFile("a.yaml", r);
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->creation_timestamp, "2020-05-05T00:00:00Z");
}

TEST(Store, NamespaceGetsMetadataNameLabel) {
  Store store;
  store.applyFile("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n");
  auto ns = find(store, "Namespace", "", "apps");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->labels().at("kubernetes.io/metadata.name"), "apps");
}

TEST(Store, UnreadableFileKeepsPreviousObjects) {
  Store store;
  store.applyFile("a.yaml", route(80));
  EXPECT_FALSE(store.applyFile("a.yaml", "kind: [unclosed"));
  EXPECT_NE(find(store, "HTTPRoute", "apps", "web"), nullptr);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].file, "a.yaml");
}

TEST(Store, InvalidObjectKeepsLastValidVersionAndNamesTheField) {
  Store store;
  store.applyFile("a.yaml", route(80));
  EXPECT_FALSE(store.applyFile("a.yaml", route(70000)));
  auto r = find(store, "HTTPRoute", "apps", "web");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->spec()["rules"][0]["backendRefs"][0]["port"], 80);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].object, "HTTPRoute/apps/web");
  EXPECT_EQ(store.errors()[0].field, "spec.rules[0].backendRefs[0].port");
}

TEST(Store, RemovingFileDeletesItsObjects) {
  Store store;
  store.applyFile("a.yaml", route(80));
  ASSERT_TRUE(store.removeFile("a.yaml"));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web"), nullptr);
}

TEST(Store, ObjectDroppedFromFileIsDeleted) {
  Store store;
  store.applyFile("a.yaml", route(80) + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n");
  ASSERT_TRUE(store.applyFile("a.yaml", route(80)));
  EXPECT_EQ(find(store, "Namespace", "", "apps"), nullptr);
  EXPECT_NE(find(store, "HTTPRoute", "apps", "web"), nullptr);
}

TEST(Store, SameObjectInTwoFilesIsAnErrorForTheSecond) {
  Store store;
  store.applyFile("a.yaml", route(80));
  store.applyFile("b.yaml", route(81));
  EXPECT_EQ(find(store, "HTTPRoute", "apps", "web")->spec()["rules"][0]["backendRefs"][0]["port"], 80);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].reason, "already defined in a.yaml");
}

TEST(Store, DefaultsAreApplied) {
  Store store;
  store.applyFile("a.yaml", route(80));
  auto r = find(store, "HTTPRoute", "apps", "web");
  EXPECT_EQ(r->spec()["parentRefs"][0]["kind"], "Gateway");
  EXPECT_EQ(r->spec()["rules"][0]["backendRefs"][0]["weight"], 1);
}


TEST(Store, UnhandledKindIsKeptWithoutErrorAndReportedOnce) {
  Store store;
  const char* deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n";
  ASSERT_TRUE(store.applyFile("d.yaml", deployment));
  EXPECT_TRUE(store.errors().empty());
  EXPECT_NE(store.view()->find(model::ObjectKey{"Deployment", "apps", "web"}), nullptr);
  EXPECT_EQ(store.takeNewlyUnhandledKinds(), std::vector<std::string>{"Deployment"});
  store.applyFile("e.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: apps}\n");
  EXPECT_TRUE(store.takeNewlyUnhandledKinds().empty());
}


TEST(Store, UnhandledKindWithNonStringApiVersionIsAnErrorNotACrash) {
  Store store;
  store.applyFile("d.yaml", "apiVersion: 5\nkind: Deployment\nmetadata: {name: web}\n");
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].reason, "apiVersion: required");
}

}  // namespace
}  // namespace gatehouse::store
