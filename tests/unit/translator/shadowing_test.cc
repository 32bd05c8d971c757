// Shadowed rules: the cover relation between two matches, the indexed search over one host's
// matches, and the gatehouse.dev/Shadowed condition the translator derives from them.
#include "translator/shadowing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "../providers/file/file_store.h"
#include "translator/translator.h"

namespace gatehouse::translator {
namespace {

namespace snap = gatehouse::snapshot;
using snap::PathMatch;

snap::RouteMatch path(PathMatch::Type type, std::string value) {
  snap::RouteMatch m;
  m.path.type = type;
  m.path.value = std::move(value);
  return m;
}
snap::RouteMatch prefix(std::string value) { return path(PathMatch::Type::PathPrefix, std::move(value)); }
snap::RouteMatch exact(std::string value) { return path(PathMatch::Type::Exact, std::move(value)); }

snap::RouteMatch withHeader(snap::RouteMatch m, std::string name, std::string value) {
  m.headers.push_back({snap::StringMatch::Type::Exact, std::move(name), std::move(value), nullptr});
  return m;
}
snap::RouteMatch withQuery(snap::RouteMatch m, std::string name, std::string value) {
  m.query_params.push_back({snap::StringMatch::Type::Exact, std::move(name), std::move(value), nullptr});
  return m;
}
snap::RouteMatch withMethod(snap::RouteMatch m, std::string method) {
  m.method = std::move(method);
  return m;
}

TEST(Covers, PathPrefixCoversWholeElementsOnly) {
  EXPECT_TRUE(covers(prefix("/"), prefix("/anything")));
  EXPECT_TRUE(covers(prefix("/a"), prefix("/a/b")));
  EXPECT_TRUE(covers(prefix("/a/"), prefix("/a")));
  EXPECT_TRUE(covers(prefix("/a"), exact("/a/b")));
  EXPECT_FALSE(covers(prefix("/a"), prefix("/ab")));
  EXPECT_FALSE(covers(prefix("/a/b"), prefix("/a")));
  EXPECT_FALSE(covers(exact("/a"), prefix("/a")));
  EXPECT_TRUE(covers(exact("/a"), exact("/a")));
}

TEST(Covers, RegularExpressionsCoverOnlyTheSamePattern) {
  auto regex = path(PathMatch::Type::RegularExpression, "/a.*");
  EXPECT_TRUE(covers(regex, path(PathMatch::Type::RegularExpression, "/a.*")));
  EXPECT_FALSE(covers(regex, exact("/a")));
  // Every routed path starts with '/' (normalizePath), so "/" matches whatever a pattern matches;
  // a longer prefix is not compared with a pattern.
  EXPECT_TRUE(covers(prefix("/"), regex));
  EXPECT_FALSE(covers(prefix("/a"), regex));
}

TEST(Covers, WinnerConditionsMustBeASubsetOfTheLosers) {
  auto loser = withMethod(withQuery(withHeader(prefix("/a"), "x-env", "prod"), "v", "2"), "GET");
  EXPECT_TRUE(covers(prefix("/a"), loser));
  EXPECT_TRUE(covers(withHeader(prefix("/"), "x-env", "prod"), loser));
  EXPECT_TRUE(covers(withMethod(withQuery(prefix("/"), "v", "2"), "GET"), loser));
  EXPECT_FALSE(covers(withHeader(prefix("/"), "x-env", "dev"), loser));
  EXPECT_FALSE(covers(withMethod(prefix("/"), "POST"), loser));
  EXPECT_FALSE(covers(withQuery(prefix("/"), "V", "2"), loser));  // query names are case-sensitive
  EXPECT_FALSE(covers(withHeader(prefix("/a"), "x-other", "1"), prefix("/a")));
}

TEST(Covers, OnlyTheFirstEntryOfAHeaderNameCounts) {
  // The matcher ignores the second x-env of the winner, and evaluates only the first of the loser.
  auto winner = withHeader(withHeader(prefix("/"), "x-env", "prod"), "x-env", "dev");
  EXPECT_TRUE(covers(winner, withHeader(prefix("/"), "x-env", "prod")));
  auto loser = withHeader(withHeader(prefix("/"), "x-env", "dev"), "x-env", "prod");
  EXPECT_FALSE(covers(withHeader(prefix("/"), "x-env", "prod"), loser));
}

TEST(FindCoveringMatches, NamesTheEarliestWinnerOfAnotherRule) {
  auto all = prefix("/");
  auto api = prefix("/api");
  auto api_v1 = withHeader(prefix("/api/v1"), "x-env", "prod");
  auto other = prefix("/other");
  // Precedence order: /api/v1 (longer) first, then /api, /other, then /.
  std::vector<const snap::RouteMatch*> matches = {&api_v1, &api, &other, &all};
  auto winners = findCoveringMatches(matches, {1, 2, 3, 4});
  EXPECT_EQ(winners, (std::vector<std::optional<size_t>>{std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
  // The same with a duplicate /api of another rule later, and /api/v1 again under a header.
  auto api_again = prefix("/api");
  auto api_v1_again = withQuery(withHeader(prefix("/api/v1"), "x-env", "prod"), "debug", "1");
  matches = {&api_v1, &api, &api_again, &api_v1_again};
  winners = findCoveringMatches(matches, {1, 2, 3, 4});
  EXPECT_EQ(winners, (std::vector<std::optional<size_t>>{std::nullopt, std::nullopt, 1, 0}));
}

TEST(FindCoveringMatches, MatchesOfTheSameRuleDoNotShadowEachOther) {
  auto a = prefix("/a");
  auto a_again = prefix("/a");
  auto b = prefix("/a");
  auto winners = findCoveringMatches({&a, &a_again, &b}, {7, 7, 8});
  EXPECT_EQ(winners, (std::vector<std::optional<size_t>>{std::nullopt, std::nullopt, 0}));
}

TEST(FindCoveringMatches, TenThousandTenantRulesOnOnePathStayLinear) {
  // Every rule matches "/" with its own tenant header; one catch-all "/" rule comes last. No rule
  // covers another; the time is printed for the record, not asserted (shared CI machines).
  constexpr size_t kRules = 10000;
  std::vector<snap::RouteMatch> storage;
  storage.reserve(kRules + 1);
  for (size_t i = 0; i < kRules; ++i)
    storage.push_back(withHeader(withHeader(prefix("/"), "x-common", "1"), "x-tenant", std::to_string(i)));
  storage.push_back(prefix("/"));
  std::vector<const snap::RouteMatch*> matches;
  std::vector<size_t> rules;
  for (size_t i = 0; i < storage.size(); ++i) {
    matches.push_back(&storage[i]);
    rules.push_back(i);
  }
  const auto start = std::chrono::steady_clock::now();
  auto winners = findCoveringMatches(matches, rules);
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("findCoveringMatches over %zu matches of one host: %.1f ms\n", matches.size(), ms);
  for (const auto& w : winners) EXPECT_FALSE(w.has_value());
}

// ---- the condition on the route's parent status ----------------------------------------------

constexpr const char* kGateway = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: gatehouse.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners:
  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}
  - {name: any, port: 80, protocol: HTTP}
)";

std::string route(const std::string& name, const std::string& timestamp, const std::string& hostnames,
                  const std::string& rules) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name +
         ", namespace: ns, creationTimestamp: \"" + timestamp + "\"}\nspec:\n  parentRefs: [{name: gw}]\n" +
         (hostnames.empty() ? "" : "  hostnames: " + hostnames + "\n") + "  rules:\n" + rules;
}

const model::Json* shadowedCondition(const std::map<model::ObjectKey, model::Json>& statuses,
                                     const std::string& route) {
  const auto& parent = statuses.at({"HTTPRoute", "ns", route})["parents"].at(0);
  for (const auto& c : parent["conditions"])
    if (c["type"] == "gatehouse.dev/Shadowed") return &c;
  return nullptr;
}

struct IncrementalRun {
  providers::FileStore store;
  Translator translator{Options{}};
  std::map<model::ObjectKey, model::Json> statuses;
  void apply(const std::string& file, const std::string& text) { store.applyFile(file, text); }
  void remove(const std::string& file) { store.removeFile(file); }
  void update() {
    for (auto& [key, status] : translator.update(store.live(), store.takeChanges()).changed) {
      if (status) statuses[key] = status->unpack();
      else statuses.erase(key);
    }
  }
};

TEST(ShadowedCondition, NamesTheWinnerAndGoesAwayWithIt) {
  IncrementalRun run;
  run.apply("gw", kGateway);
  run.apply("old", route("old", "2026-01-01T00:00:00Z", "", "  - matches: [{path: {type: PathPrefix, value: /api}}]\n"));
  run.apply("new", route("new", "2026-01-02T00:00:00Z", "",
                         "  - name: tail\n    matches: [{path: {type: PathPrefix, value: /api}}]\n"
                         "  - name: v1\n    matches: [{path: {type: PathPrefix, value: /api/v1}, method: GET}]\n"));
  run.update();
  EXPECT_EQ(shadowedCondition(run.statuses, "old"), nullptr);
  const model::Json* shadowed = shadowedCondition(run.statuses, "new");
  ASSERT_NE(shadowed, nullptr);
  EXPECT_EQ((*shadowed)["status"], "True");
  EXPECT_EQ((*shadowed)["reason"], "Shadowed");
  EXPECT_EQ((*shadowed)["message"], "rule tail is shadowed by ns/old rule 0");
  EXPECT_EQ((*shadowed)["observedGeneration"], 1);
  // The winner goes: the loser's status loses the condition although the loser did not change.
  run.remove("old");
  run.update();
  EXPECT_EQ(shadowedCondition(run.statuses, "new"), nullptr);
}

TEST(ShadowedCondition, ARuleServingAnyOfItsHostnamesIsNotShadowed) {
  IncrementalRun run;
  run.apply("gw", kGateway);
  run.apply("old", route("old", "2026-01-01T00:00:00Z", "[a.example.com]", "  - backendRefs: []\n"));
  run.apply("new", route("new", "2026-01-02T00:00:00Z", "[a.example.com, b.example.com]",
                         "  - matches: [{path: {type: PathPrefix, value: /}}]\n"));
  run.update();
  EXPECT_EQ(shadowedCondition(run.statuses, "new"), nullptr);
  // Narrowed to the winner's hostname, the rule is shadowed.
  run.apply("new", route("new", "2026-01-02T00:00:00Z", "[a.example.com]",
                         "  - matches: [{path: {type: PathPrefix, value: /}}]\n"));
  run.update();
  ASSERT_NE(shadowedCondition(run.statuses, "new"), nullptr);
  EXPECT_EQ((*shadowedCondition(run.statuses, "new"))["message"], "rule 0 is shadowed by ns/old rule 0");
}

TEST(ShadowedCondition, AMoreSpecificHostnameIsNeverShadowedByABroaderOne) {
  IncrementalRun run;
  run.apply("gw", kGateway);
  run.apply("old", route("old", "2026-01-01T00:00:00Z", "[\"*.example.com\"]", "  - backendRefs: []\n"));
  run.apply("new", route("new", "2026-01-02T00:00:00Z", "[b.example.com]", "  - backendRefs: []\n"));
  run.update();
  EXPECT_EQ(shadowedCondition(run.statuses, "new"), nullptr);
  EXPECT_EQ(shadowedCondition(run.statuses, "old"), nullptr);
}

}  // namespace
}  // namespace gatehouse::translator
