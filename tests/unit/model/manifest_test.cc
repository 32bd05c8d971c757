#include "model/manifest.h"

#include <gtest/gtest.h>

namespace gatehouse::model {
namespace {

TEST(DecodeManifests, MultiDocumentYamlSkipsEmptyDocuments) {
  auto docs = decodeManifests("kind: A\n---\n---\nkind: B\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1]["kind"], "B");
}

TEST(DecodeManifests, ListIsFlattened) {
  auto docs = decodeManifests(R"({"kind":"List","items":[{"kind":"A"},{"kind":"B"}]})");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["kind"], "A");
}

TEST(DecodeManifests, PlainScalarsAreTypedQuotedStayStrings) {
  auto docs = decodeManifests("a: 80\nb: \"80\"\nc: true\nd: 'true'\ne: null\nf: 1.5\ng: 0x1F\nh: text\n");
  ASSERT_TRUE(docs.ok());
  const auto& d = (*docs)[0];
  EXPECT_EQ(d["a"], 80);
  EXPECT_EQ(d["b"], "80");
  EXPECT_EQ(d["c"], true);
  EXPECT_EQ(d["d"], "true");
  EXPECT_TRUE(d["e"].is_null());
  EXPECT_EQ(d["f"], 1.5);
  EXPECT_EQ(d["g"], "0x1F");
  EXPECT_EQ(d["h"], "text");
}

TEST(DecodeManifests, SyntaxErrorNamesLine) {
  auto docs = decodeManifests("a: 1\nb: [unclosed\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("line "), std::string::npos);
}

TEST(DecodeManifests, ScalarDocumentIsRejected) {
  auto docs = decodeManifests("just text\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 1: not a mapping (a Kubernetes object is expected)");
}

TEST(ObjectKeyOf, NamespacedKindDefaultsToDefaultNamespace) {
  auto key = objectKeyOf(Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}})"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->ns, "default");
}

TEST(ObjectKeyOf, ClusterScopedKindHasNoNamespace) {
  auto key = objectKeyOf(Json::parse(
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"g","namespace":"x"}})"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->ns, "");
}

TEST(ObjectKeyOf, MissingNameIsAnError) {
  auto key = objectKeyOf(Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{}})"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "metadata.name: required");
}


TEST(DecodeManifests, RecursiveAliasIsAnErrorNotACrash) {
  auto docs = decodeManifests("a: &a [*a]\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 1: nesting deeper than 64 levels");
}

TEST(DecodeManifests, DeepNestingIsAnError) {
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto docs = decodeManifests(deep);
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 1: nesting deeper than 64 levels");
}

TEST(DecodeManifests, NonScalarKeyIsAnError) {
  auto docs = decodeManifests("? [a, b]\n: c\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 1: mapping keys must be strings");
}


TEST(DecodeManifests, InvalidUtf8IsRejectedWithItsOffset) {
  auto docs = decodeManifests("kind: \"caf\xc3\xa9\"\nname: \"\xff\"\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "byte 21: not valid UTF-8");
}

TEST(DecodeManifests, OverlongAndSurrogateEncodingsAreRejected) {
  EXPECT_FALSE(decodeManifests("a: \"\xc0\xaf\"\n").ok());
  EXPECT_FALSE(decodeManifests("a: \"\xed\xa0\x80\"\n").ok());
  EXPECT_TRUE(decodeManifests("a: \"\xf0\x9f\x98\x80\"\n").ok());
}


TEST(DecodeManifests, NonStringKindIsKeptForValidationToReject) {
  auto docs = decodeManifests("kind: 5\nitems: []\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_FALSE(objectKeyOf((*docs)[0]).ok());
}

}  // namespace
}  // namespace gatehouse::model
