// The incremental translator must give exactly what translating everything from scratch gives,
// after any sequence of changes: random edits of routes, Services, EndpointSlices, Gateways,
// ListenerSets and ReferenceGrants, compared status by status and through the snapshot dump.
#include <gtest/gtest.h>

#include <random>

#include "../providers/file/file_store.h"
#include "snapshot/dump.h"
#include "translator/translator.h"

namespace gatehouse::translator {
namespace {

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {}

  // One random change: writes or removes one file.
  void change(providers::FileStore& store) {
    switch (pick(10)) {
      case 0: case 1: case 2: case 3: {
        const int i = pick(12);
        if (pick(6) == 0) store.removeFile("route-" + std::to_string(i));
        else store.applyFile("route-" + std::to_string(i), route(i));
        break;
      }
      case 4: case 5: {
        const int i = pick(5);
        if (pick(5) == 0) store.removeFile("svc-" + std::to_string(i));
        else store.applyFile("svc-" + std::to_string(i), service(i));
        break;
      }
      case 6: case 7: {
        const int i = pick(5);
        if (pick(5) == 0) store.removeFile("slice-" + std::to_string(i));
        else store.applyFile("slice-" + std::to_string(i), slice(i));
        break;
      }
      case 8: {
        const int what = pick(4);
        if (what == 0) store.applyFile("namespace", namespaceOther());
        else if (what == 1 && pick(4) == 0) store.removeFile("listenerset");
        else if (what == 1) store.applyFile("listenerset", listenerSet());
        else store.applyFile("gateway", gateway());
        break;
      }
      default:
        if (pick(2) == 0) store.removeFile("grant");
        else store.applyFile("grant", grant());
    }
  }

  std::string gateway() {
    static const char* kHostnames[] = {"", "*.example.com", "a.example.com", "*.a.example.com"};
    std::string out = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: gatehouse.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: %CLASS%
  addresses: [{value: 127.0.1.9}]
  listeners:
)";
    // Now and then a class that is not ours: every route loses its parent, and gets it back.
    out.replace(out.find("%CLASS%"), 7, pick(6) == 0 ? "not-ours" : "gc");
    static const char* kAllowedListeners[] = {"None", "Same", "All"};
    out.insert(out.find("  listeners:"),
               "  allowedListeners: {namespaces: {from: " + std::string(kAllowedListeners[pick(3)]) + "}}\n");
    for (int l = 0; l < 2; ++l) {
      std::string host = kHostnames[pick(4)];
      out += "  - {name: l" + std::to_string(l) + ", port: " + std::to_string(80 + l) + ", protocol: HTTP";
      if (!host.empty()) out += ", hostname: \"" + host + "\"";
      const int from = pick(4);
      out += from == 0   ? ", allowedRoutes: {namespaces: {from: All}}}\n"
             : from == 1 ? ", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}}\n"
                         : "}\n";
    }
    return out;
  }

  // A ListenerSet in "ns" or "other" whose listeners may conflict with the Gateway's (port 80).
  std::string listenerSet() {
    static const char* kHostnames[] = {"", "*.example.com", "a.example.com", "b.example.com"};
    std::string out = "apiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: ls, namespace: " +
                      std::string(pick(2) ? "ns" : "other") + "}\nspec:\n  parentRef: {name: gw, namespace: ns}\n"
                      "  listeners:\n";
    for (int l = 0, n = 1 + pick(2); l < n; ++l) {
      std::string host = kHostnames[pick(4)];
      out += "  - {name: s" + std::to_string(l) + ", port: " + (pick(2) ? "80" : "82") + ", protocol: HTTP";
      if (!host.empty()) out += ", hostname: \"" + host + "\"";
      out += pick(2) ? ", allowedRoutes: {namespaces: {from: All}}}\n" : "}\n";
    }
    return out;
  }

  std::string namespaceOther() {
    return std::string("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n  labels: {team: ") +
           (pick(2) ? "a" : "b") + "}\n";
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string route(int i) {
    static const char* kHosts[] = {"a.example.com", "b.example.com", "*.example.com", "x.a.example.com",
                                   "*.a.example.com", "other.net"};
    const std::string ns = pick(4) == 0 ? "other" : "ns";
    std::string out = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r" +
                      std::to_string(i) + ", namespace: " + ns + "}\nspec:\n  parentRefs: [{name: gw, namespace: ns";
    if (pick(4) == 0) out += ", sectionName: l" + std::to_string(pick(2));
    out += "}";
    if (pick(3) == 0) {
      out += ", {kind: ListenerSet, name: ls, namespace: " + std::string(pick(2) ? "ns" : "other");
      if (pick(3) == 0) out += ", sectionName: s" + std::to_string(pick(2));
      out += "}";
    }
    out += "]\n";
    const int hosts = pick(3);
    if (hosts > 0) {
      out += "  hostnames: [";
      for (int h = 0; h < hosts; ++h) out += std::string(h ? ", " : "") + "\"" + kHosts[pick(6)] + "\"";
      out += "]\n";
    }
    out += "  rules:\n";
    for (int r = 0, rules = 1 + pick(2); r < rules; ++r) {
      out += "  - matches: [{path: {type: PathPrefix, value: /p" + std::to_string(pick(3)) + "}}";
      if (pick(3) == 0) out += ", {headers: [{name: x-v, value: \"" + std::to_string(pick(2)) + "\"}]}";
      out += "]\n    backendRefs:\n";
      for (int b = 0, backends = 1 + pick(2); b < backends; ++b) {
        out += "    - {name: svc" + std::to_string(pick(6)) + ", port: 80";
        if (ns == "other" && pick(2) == 0) out += ", namespace: ns";
        out += "}\n";
      }
      if (pick(4) == 0)
        out += "    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: svc" + std::to_string(pick(5)) +
               ", port: 80}}}]\n";
    }
    return out;
  }

  std::string service(int i) {
    const std::string port = pick(4) == 0 ? "81" : "80";
    return "apiVersion: v1\nkind: Service\nmetadata: {name: svc" + std::to_string(i) +
           ", namespace: ns}\nspec:\n  ports: [{name: http, port: " + port + ", protocol: TCP}]\n";
  }

  std::string slice(int i) {
    // Slices may name another Service than their file suggests: moving a slice must update both.
    const int svc = pick(3) == 0 ? pick(5) : i;
    std::string out = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s" + std::to_string(i) +
                      "\n  namespace: ns\n  labels: {kubernetes.io/service-name: svc" + std::to_string(svc) +
                      "}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints:\n";
    for (int e = 0, n = pick(3); e < n; ++e)
      out += "- {addresses: [\"10.0." + std::to_string(i) + "." + std::to_string(e + pick(3)) +
             "\"], conditions: {ready: " + (pick(4) ? "true" : "false") + "}}\n";
    if (out.back() == '\n' && out.ends_with("endpoints:\n")) out += "- {addresses: [\"10.9.9.9\"]}\n";
    return out;
  }

  std::string grant() {
    return "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: ns}\n"
           "spec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]\n"
           "  to: [{group: \"\", kind: Service}]\n";
  }

  std::mt19937 rng_;
};

model::Json comparable(const snapshot::Snapshot& s) {
  model::Json j = snapshot::toJson(s);
  j.erase("version");
  return j;
}

TEST(IncrementalTranslator, MatchesAFullTranslationAfterEveryChange) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    World world(seed);
    int tick = 0;
    providers::FileStore store([&tick] { return "2026-01-01T00:00:" + std::to_string(10 + tick++ % 50) + "Z"; });
    Options options;
    Translator incremental(options);
    store.applyFile("gateway", world.gateway());
    std::map<model::ObjectKey, model::Json> statuses;
    for (int step = 0; step < 120; ++step) {
      for (int n = 0, changes = 1 + step % 3; n < changes; ++n) world.change(store);
      auto result = incremental.update(store.live(), store.takeChanges());
      for (auto& [key, status] : result.changed) {
        if (status) statuses[key] = status->unpack();
        else statuses.erase(key);
      }
      auto full = translate(options, {&store.live(), {}});
      ASSERT_EQ(statuses, full.statuses) << "seed " << seed << " step " << step;
      ASSERT_EQ(comparable(*result.snapshot), comparable(*full.snapshot)) << "seed " << seed << " step " << step;
    }
  }
}

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
  addresses: [{value: 127.0.1.9}]
  listeners: [{name: l0, port: 80, protocol: HTTP}]
)";

TEST(IncrementalTranslator, RouteChangeIsNotAFullRun) {
  providers::FileStore store;
  Translator incremental(Options{});
  store.applyFile("gateway", kGateway);
  EXPECT_TRUE(incremental.update(store.live(), store.takeChanges()).full);
  store.applyFile("route", R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: svc, port: 80}]}]
)");
  auto result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  // The route's status and the Gateway's (attachedRoutes) changed, nothing else.
  std::set<std::string> changed;
  for (auto& [key, status] : result.changed) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"Gateway/ns/gw", "HTTPRoute/ns/r"}));
  store.applyFile("svc", "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: ns}\n"
                         "spec: {ports: [{port: 80}]}\n");
  result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  ASSERT_EQ(result.changed.size(), 1u);  // ResolvedRefs turns True
  EXPECT_EQ(result.changed.begin()->first.str(), "HTTPRoute/ns/r");
  // A Gateway change re-attaches compiled routes; a new listener changes only the Gateway's status.
  std::string gateway = kGateway;
  gateway.replace(gateway.find("listeners: ["), 12, "listeners: [{name: l1, port: 81, protocol: HTTP}, ");
  store.applyFile("gateway", gateway);
  result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  changed.clear();
  for (auto& [key, status] : result.changed) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"Gateway/ns/gw"}));
  const auto& listeners = *result.snapshot;
  ASSERT_EQ(listeners.sockets.size(), 2u);  // the route serves on both ports
  for (const auto& socket : listeners.sockets) EXPECT_NE(socket.listeners.at(0).hosts.any, nullptr);
}

TEST(IncrementalTranslator, GrantChangeRecompilesTheRoutesReferringIntoItsNamespaceOnly) {
  providers::FileStore store;
  Translator incremental(Options{});
  std::string gateway = kGateway;
  gateway.replace(gateway.find("protocol: HTTP}"), 15, "protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}");
  store.applyFile("gateway", gateway);
  store.applyFile("svc", "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: ns}\n"
                         "spec: {ports: [{port: 80}]}\n");
  auto route = [](const std::string& ns, const std::string& name) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  parentRefs: [{name: gw, namespace: ns}]\n  hostnames: [" + name +
           ".example.com]\n  rules: [{backendRefs: [{name: svc, namespace: ns, port: 80}]}]\n";
  };
  store.applyFile("cross", route("other", "cross"));
  store.applyFile("local", route("ns", "local"));
  EXPECT_TRUE(incremental.update(store.live(), store.takeChanges()).full);
  store.applyFile("grant",
                  "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: ns}\n"
                  "spec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]\n"
                  "  to: [{group: \"\", kind: Service}]\n");
  auto result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  std::set<std::string> changed;
  for (auto& [key, status] : result.changed) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"HTTPRoute/other/cross"}));  // ResolvedRefs turns True
  const model::Json status = result.changed.begin()->second->unpack();
  EXPECT_EQ(status["parents"][0]["conditions"][1]["type"], "ResolvedRefs");
  EXPECT_EQ(status["parents"][0]["conditions"][1]["status"], "True");
  store.removeFile("grant");
  result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  changed.clear();
  for (auto& [key, status] : result.changed) changed.insert(key.str());
  EXPECT_EQ(changed, (std::set<std::string>{"HTTPRoute/other/cross"}));
}

TEST(IncrementalTranslator, SliceChangeSwapsTheClusterAndKeepsTheRouteTables) {
  providers::FileStore store;
  Translator incremental(Options{});
  store.applyFile("gateway", kGateway);
  store.applyFile("route", R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ns}
spec:
  parentRefs: [{name: gw, sectionName: l0}]
  rules: [{backendRefs: [{name: svc, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ns}
spec: {ports: [{name: http, port: 80}]}
)");
  auto slice = [](const std::string& ip) {
    return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s\n  namespace: ns\n"
           "  labels: {kubernetes.io/service-name: svc}\naddressType: IPv4\nports: [{name: http, port: 8080}]\n"
           "endpoints: [{addresses: [\"" + ip + "\"]}]\n";
  };
  store.applyFile("slice", slice("10.0.0.1"));
  auto before = incremental.update(store.live(), store.takeChanges()).snapshot;
  store.applyFile("slice", slice("10.0.0.2"));
  auto result = incremental.update(store.live(), store.takeChanges());
  EXPECT_FALSE(result.full);
  EXPECT_TRUE(result.changed.empty());
  const auto& after = *result.snapshot;
  ASSERT_EQ(after.clusters.size(), 1u);
  ASSERT_EQ(after.clusters.get(0)->endpoints.size(), 1u);
  EXPECT_EQ(after.clusters.get(0)->endpoints[0].ip, "10.0.0.2");
  EXPECT_EQ(before->clusters.get(0)->endpoints[0].ip, "10.0.0.1");  // the live snapshot is untouched
  // The listener's tables are the very same objects: nothing was recompiled.
  ASSERT_EQ(after.sockets.size(), 1u);
  ASSERT_EQ(after.sockets[0].listeners.size(), 1u);
  ASSERT_NE(after.sockets[0].listeners[0].hosts.any, nullptr);
  EXPECT_EQ(after.sockets[0].listeners[0].hosts.any, before->sockets[0].listeners[0].hosts.any);
}

}  // namespace
}  // namespace gatehouse::translator
