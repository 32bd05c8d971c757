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

std::string laughs(int levels) {  // each level: a list of ten aliases of the previous one
  std::string s = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    s += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 10; ++k) s += ", " + prev;
    s += "]\n";
  }
  return s;
}

TEST(DecodeManifests, AliasesCopyAnchoredMapsSequencesAndScalars) {
  auto docs = decodeManifests("base: &b {x: 1, y: [a, b]}\ncopy: *b\nlist: &l [1, &s two]\nagain: *l\nscalar: *s\n"
                              "port: &p 80\nport2: *p\nquoted: &q \"80\"\nquoted2: *q\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  const auto& d = (*docs)[0];
  EXPECT_EQ(d["copy"], d["base"]);
  EXPECT_EQ(d["copy"]["y"][1], "b");
  EXPECT_EQ(d["again"], Json::parse(R"([1, "two"])"));
  EXPECT_EQ(d["scalar"], "two");
  EXPECT_EQ(d["port2"], 80);
  EXPECT_EQ(d["quoted2"], "80");
}

TEST(DecodeManifests, AliasOfAScalarIsAKeyByItsText) {
  auto docs = decodeManifests("a: &k 80\n*k : v\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["80"], "v");
  auto bad = decodeManifests("a: &c [1]\n*c : v\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "document 1: mapping keys must be strings");
}

TEST(DecodeManifests, AnchorRedefinitionAppliesFromThereOn) {
  auto docs = decodeManifests("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["b"], 1);
  EXPECT_EQ((*docs)[0]["d"], 2);
}

TEST(DecodeManifests, BillionLaughsIsRejectedNotExpanded) {
  auto docs = decodeManifests(laughs(9));  // 10^9 values once expanded
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 1: more than 1000000 values (alias expansion?)");
}

TEST(DecodeManifests, AliasExpansionBelowTheBoundIsAccepted) {
  auto docs = decodeManifests(laughs(5));  // 10^5 leaves
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["l4"][9][9][9][9][9], "x");
}

TEST(DecodeManifests, AliasCountsItsDepthWhereItIsUsed) {
  const std::string anchor = "a: &a [[[[[x]]]]]\n";  // five levels below the alias
  auto ok = decodeManifests(anchor + "z: " + std::string(58, '[') + "*a" + std::string(58, ']') + "\n");
  EXPECT_TRUE(ok.ok());
  auto deep = decodeManifests(anchor + "z: " + std::string(59, '[') + "*a" + std::string(59, ']') + "\n");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, "document 1: nesting deeper than 64 levels");
}

TEST(DecodeManifests, UndefinedAliasIsASyntaxErrorWithItsPosition) {
  auto docs = decodeManifests("a: 1\nb: *nope\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "line 2, column 4: the referenced anchor is not defined");
  // Anchors belong to their document.
  EXPECT_FALSE(decodeManifests("a: &x 1\n---\nb: *x\n").ok());
}

TEST(DecodeManifests, SyntaxErrorInALaterDocumentWinsOverAnEarlierBadDocument) {
  auto docs = decodeManifests("a: " + std::string(70, '[') + std::string(70, ']') + "\n---\nb: [\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message.rfind("line ", 0), 0u) << docs.error().message;
}

TEST(DecodeManifests, DocumentNumberCountsFlattenedObjects) {
  auto docs = decodeManifests(R"({"kind":"List","items":[{"a":1},{"b":2}]})"
                              "\n---\na: " + std::string(70, '[') + std::string(70, ']') + "\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "document 3: nesting deeper than 64 levels");
}

TEST(DecodeManifests, ExplicitDocumentEndsAndStarts) {
  auto docs = decodeManifests("a: 1\n...\n---\nb: 2\n...\n--- {c: 3}\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[2]["c"], 3);
}

TEST(DecodeManifests, DuplicateKeyLastWins) {
  auto docs = decodeManifests("a: 1\na: [2]\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["a"], Json::parse("[2]"));
}

TEST(DecodeManifests, NullKeyIsAnError) {
  for (const char* text : {"~: x\n", "null: x\n", "? \n: x\n"}) {
    auto docs = decodeManifests(text);
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_EQ(docs.error().message, "document 1: mapping keys must be strings") << text;
  }
  EXPECT_TRUE(decodeManifests("\"null\": x\ntrue: y\n1: z\n").ok());
}

TEST(DecodeManifests, ExplicitTagsKeepTheText) {
  auto docs = decodeManifests("a: !!str 123\nb: !!int \"5\"\nc: ! true\nd: !!str\ne:\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  const auto& d = (*docs)[0];
  EXPECT_EQ(d["a"], "123");
  EXPECT_EQ(d["b"], "5");
  EXPECT_EQ(d["c"], "true");
  EXPECT_EQ(d["d"], "");
  EXPECT_TRUE(d["e"].is_null());
}

TEST(DecodeManifests, JsonWithEscapes) {
  auto docs = decodeManifests("{\n\t\"kind\":\"A\",\"s\":\"caf\\u00e9 \\\"q\\\"\",\"n\":[1,2.5,null,true]}");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["s"], "caf\xc3\xa9 \"q\"");
  EXPECT_EQ((*docs)[0]["n"], Json::parse("[1,2.5,null,true]"));
}

TEST(DecodeManifests, MergeKeyIsAnOrdinaryKey) {
  auto docs = decodeManifests("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  EXPECT_EQ((*docs)[0]["d"], Json::parse(R"({"<<": {"x": 1}, "y": 2})"));
}

TEST(DecodeManifests, ConcatenatedJsonObjectsAreDocuments) {
  auto docs = decodeManifests("{\"kind\":\"A\"}\n{\"kind\":\"B\"} {\"kind\":\"C\"}\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[2]["kind"], "C");
  auto bad = decodeManifests("{\"kind\":\"A\"}\n{\"kind\":\"B\"}\n{\"kind\": *x}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "line 3, column 10: the referenced anchor is not defined");
}

TEST(DecodeManifests, NestingBeyondTheParserLimitIsASyntaxError) {
  auto docs = decodeManifests(std::string(500, '[') + std::string(500, ']'));
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.error().message, "line 1, column 500: nesting 500 levels deep");
}

}  // namespace
}  // namespace gatehouse::model
