#include "providers/file/manifest_files.h"

#include <gtest/gtest.h>

#include "file_store.h"

namespace gatehouse::providers {
namespace {

constexpr const char* kRoute =
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: apps}\n"
    "spec: {parentRefs: [{name: edge}]}\n";
constexpr const char* kNamespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n";
const model::ObjectKey kWeb{"HTTPRoute", "apps", "web"};
const model::ObjectKey kApps{"Namespace", "", "apps"};

std::vector<model::ObjectKey> keysOf(const store::SourceUpdate& update) {
  std::vector<model::ObjectKey> out;
  for (const auto& upsert : update.upserts) out.push_back(upsert.key);
  return out;
}

TEST(ManifestFiles, FileBecomesOneUpsertPerDocumentUnderItsPath) {
  ManifestFiles files;
  auto update = files.read("a.yaml", std::string(kRoute) + "---\n" + kNamespace);
  EXPECT_EQ(update.source, "a.yaml");
  EXPECT_EQ(keysOf(update), (std::vector<model::ObjectKey>{kWeb, kApps}));
  EXPECT_EQ(update.upserts[0].object["spec"]["parentRefs"][0]["name"], "edge");
  EXPECT_TRUE(update.deletes.empty());
  EXPECT_TRUE(update.errors.empty());
}

TEST(ManifestFiles, RewriteDeletesTheObjectsTheFileNoLongerHolds) {
  ManifestFiles files;
  files.read("a.yaml", std::string(kRoute) + "---\n" + kNamespace);
  auto update = files.read("a.yaml", kRoute);
  EXPECT_EQ(keysOf(update), std::vector<model::ObjectKey>{kWeb});
  EXPECT_EQ(update.deletes, std::vector<model::ObjectKey>{kApps});
}

TEST(ManifestFiles, RemovalDeletesEveryObjectOfTheFile) {
  ManifestFiles files;
  files.read("a.yaml", std::string(kRoute) + "---\n" + kNamespace);
  auto update = files.remove("a.yaml");
  EXPECT_EQ(update.source, "a.yaml");
  EXPECT_TRUE(update.upserts.empty());
  EXPECT_EQ(update.deletes, (std::vector<model::ObjectKey>{kWeb, kApps}));  // key order
  EXPECT_TRUE(files.remove("a.yaml").deletes.empty());  // nothing left to delete
}

TEST(ManifestFiles, UnreadableFileKeepsItsObjectsAndSaysWhy) {
  ManifestFiles files;
  files.read("a.yaml", kRoute);
  auto update = files.read("a.yaml", "kind: [unclosed");
  EXPECT_TRUE(update.upserts.empty());
  EXPECT_TRUE(update.deletes.empty());
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].source, "a.yaml");
  EXPECT_EQ(update.errors[0].object, "");
  EXPECT_FALSE(update.errors[0].reason.empty());
  // The file still holds the route: removing it later deletes the route.
  EXPECT_EQ(files.remove("a.yaml").deletes, std::vector<model::ObjectKey>{kWeb});
}

TEST(ManifestFiles, PathsNotInAListingIncludeUnreadableFiles) {
  ManifestFiles files;
  files.read("a.yaml", kRoute);
  files.read("b.yaml", kNamespace);
  files.read("broken.yaml", "kind: [unclosed");
  std::vector<FileChange> listing{{"b.yaml", false, {}}};
  EXPECT_EQ(files.pathsNotIn(listing), (std::vector<std::string>{"a.yaml", "broken.yaml"}));
  files.remove("a.yaml");
  EXPECT_EQ(files.pathsNotIn(listing), std::vector<std::string>{"broken.yaml"});
}

TEST(ManifestFiles, SecondDefinitionInOneFileIsAnError) {
  ManifestFiles files;
  auto update = files.read("a.yaml", std::string(kRoute) + "---\n" + kRoute);
  EXPECT_EQ(keysOf(update), std::vector<model::ObjectKey>{kWeb});
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].str(), "a.yaml: HTTPRoute/apps/web: metadata.name: defined twice in this file");
}

TEST(ManifestFiles, DocumentWithoutIdentityIsAnErrorAndTheRestIsRead) {
  ManifestFiles files;
  auto update = files.read("d.yaml", std::string("apiVersion: 5\nkind: Deployment\nmetadata: {name: web}\n---\n") + kRoute);
  EXPECT_EQ(keysOf(update), std::vector<model::ObjectKey>{kWeb});
  ASSERT_EQ(update.errors.size(), 1u);
  EXPECT_EQ(update.errors[0].str(), "d.yaml: apiVersion: required");
}

TEST(ManifestFiles, LargeBatchDecodedOnSeveralThreadsKeepsItsOrder) {
  ManifestFiles files;
  std::vector<FileChange> changes;
  for (int i = 0; i < 200; ++i)
    changes.push_back({"f" + std::to_string(i) + ".yaml", false,
                       "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns" + std::to_string(i) + "}\n"});
  changes.push_back({"f0.yaml", true, ""});
  auto updates = files.read(std::move(changes));
  ASSERT_EQ(updates.size(), 201u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(updates[i].source, "f" + std::to_string(i) + ".yaml");
    EXPECT_EQ(keysOf(updates[i]), (std::vector<model::ObjectKey>{{"Namespace", "", "ns" + std::to_string(i)}}));
  }
  EXPECT_EQ(updates[200].deletes, (std::vector<model::ObjectKey>{{"Namespace", "", "ns0"}}));
}

// Through the store, as `gatehouse serve` uses it.

TEST(ManifestFilesInAStore, IdenticalRewriteIsNoChange) {
  FileStore store;
  ASSERT_TRUE(store.applyFile("a.yaml", kRoute));
  EXPECT_FALSE(store.applyFile("a.yaml", kRoute));
}

TEST(ManifestFilesInAStore, InvalidObjectKeepsServingAndIsNotDeletedByTheRewrite) {
  FileStore store;
  store.applyFile("a.yaml", kRoute);
  std::string invalid = kRoute;
  invalid.replace(invalid.find("name: edge"), 10, "name: edge, port: 70000");
  EXPECT_FALSE(store.applyFile("a.yaml", invalid));
  EXPECT_NE(store.live().find(kWeb), nullptr);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].str(), "a.yaml: HTTPRoute/apps/web: spec.parentRefs[0].port: should be less than or equal to 65535");
  ASSERT_TRUE(store.removeFile("a.yaml"));
  EXPECT_EQ(store.live().find(kWeb), nullptr);
  EXPECT_TRUE(store.errors().empty());
}

TEST(ManifestFilesInAStore, UnreadableFileReplacesTheFilesErrors) {
  FileStore store;
  store.applyFile("a.yaml", kRoute);
  EXPECT_FALSE(store.applyFile("a.yaml", "kind: [unclosed"));
  EXPECT_NE(store.live().find(kWeb), nullptr);
  ASSERT_EQ(store.errors().size(), 1u);
  EXPECT_EQ(store.errors()[0].source, "a.yaml");
}

}  // namespace
}  // namespace gatehouse::providers
