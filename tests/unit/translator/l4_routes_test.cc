// TCPRoute, UDPRoute and TLSRoute translation: what the snapshot serves for several routes on one
// listener, per SNI, and for unresolved backends.
#include "translator/translator.h"

#include "../providers/file/file_store.h"

#include <gtest/gtest.h>

namespace gatehouse::translator {
namespace {

namespace snap = gatehouse::snapshot;

constexpr const char* kBase = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gc}
spec: {controllerName: gatehouse.dev/gateway-controller}
---
apiVersion: v1
kind: Service
metadata: {name: one, namespace: ns}
spec: {ports: [{port: 3000}]}
---
apiVersion: v1
kind: Service
metadata: {name: two, namespace: ns}
spec: {ports: [{port: 3000}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gc
  listeners:
  - {name: tcp, port: 9000, protocol: TCP}
  - {name: udp, port: 9000, protocol: UDP}
  - {name: tls, port: 443, protocol: TLS, hostname: "*.example.com", tls: {mode: Passthrough}}
)";

std::string route(const std::string& kind, const std::string& name, const std::string& created,
                  const std::string& service, const std::string& extra = "") {
  return "---\napiVersion: gateway.networking.k8s.io/v1\nkind: " + kind + "\nmetadata: {name: " + name +
         ", namespace: ns, creationTimestamp: \"" + created + "\"}\nspec:\n  parentRefs: [{name: gw}]\n" + extra +
         "  rules: [{backendRefs: [{name: " + service + ", port: 3000}]}]\n";
}

struct Fixture {
  providers::FileStore store;
  Output run(const std::string& manifests) {
    store.applyFile("all.yaml", manifests);
    auto view = store.view();
    Input input;
    input.view = view.get();
    return translate(Options{}, input);
  }
};

const snap::Socket* socket(const snap::Snapshot& s, uint16_t port, snap::Transport transport) {
  for (const auto& sock : s.sockets)
    if (sock.port == port && sock.transport == transport) return &sock;
  return nullptr;
}

// The cluster name of the one rule a host table entry serves.
std::string servedBy(const snap::Snapshot& s, const snap::RouteTable* table) {
  if (table == nullptr || table->rules.size() != 1 || table->rules[0].backends.size() != 1) return "?";
  const auto& backend = table->rules[0].backends[0];
  return backend.cluster ? s.clusters.get(*backend.cluster)->name : "invalid";
}

const model::Json& listenerStatus(const Output& out, const std::string& name) {
  for (const auto& l : out.statuses.at(model::ObjectKey{"Gateway", "ns", "gw"})["listeners"])
    if (l["name"] == name) return l;
  throw std::runtime_error("no listener " + name);
}

TEST(L4Routes, ListenersGetTheirSocketKinds) {
  Fixture f;
  auto out = f.run(kBase);
  const auto* tcp = socket(*out.snapshot, 9000, snap::Transport::Tcp);
  const auto* udp = socket(*out.snapshot, 9000, snap::Transport::Udp);
  const auto* tls = socket(*out.snapshot, 443, snap::Transport::Tcp);
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->kind, snap::ListenerKind::TcpProxy);
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->kind, snap::ListenerKind::UdpProxy);
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->kind, snap::ListenerKind::TlsPassthrough);
  EXPECT_EQ(listenerStatus(out, "tcp")["supportedKinds"],
            model::Json::parse(R"([{"group":"gateway.networking.k8s.io","kind":"TCPRoute"}])"));
}

TEST(L4Routes, OldestTcpRouteServesAndBothAreCounted) {
  Fixture f;
  auto out = f.run(std::string(kBase) + route("TCPRoute", "newer", "2024-01-02T00:00:00Z", "two") +
                   route("TCPRoute", "older", "2024-01-01T00:00:00Z", "one"));
  const auto* tcp = socket(*out.snapshot, 9000, snap::Transport::Tcp);
  ASSERT_NE(tcp, nullptr);
  ASSERT_EQ(tcp->listeners.size(), 1u);
  EXPECT_EQ(servedBy(*out.snapshot, tcp->listeners[0].hosts.any.get()), "ns/one:3000");
  EXPECT_EQ(listenerStatus(out, "tcp")["attachedRoutes"], 2);
  for (const char* name : {"newer", "older"}) {
    const auto& parents = out.statuses.at(model::ObjectKey{"TCPRoute", "ns", name})["parents"];
    ASSERT_EQ(parents.size(), 1u) << name;
    EXPECT_EQ(parents[0]["conditions"][0]["type"], "Accepted");
    EXPECT_EQ(parents[0]["conditions"][0]["status"], "True") << name;
  }
}

TEST(L4Routes, TcpRouteWithMissingServiceServesAnInvalidBackend) {
  Fixture f;
  auto out = f.run(std::string(kBase) + route("TCPRoute", "r", "2024-01-01T00:00:00Z", "missing"));
  const auto* tcp = socket(*out.snapshot, 9000, snap::Transport::Tcp);
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(servedBy(*out.snapshot, tcp->listeners[0].hosts.any.get()), "invalid");
  const auto& conditions = out.statuses.at(model::ObjectKey{"TCPRoute", "ns", "r"})["parents"][0]["conditions"];
  EXPECT_EQ(conditions[1]["type"], "ResolvedRefs");
  EXPECT_EQ(conditions[1]["reason"], "BackendNotFound");
}

TEST(L4Routes, ZeroWeightBackendsAreDropped) {
  Fixture f;
  const std::string weighted = R"(---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: w, namespace: ns}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: one, port: 3000, weight: 70}, {name: two, port: 3000, weight: 0}]}]
)";
  auto out = f.run(std::string(kBase) + weighted);
  const auto& rule = socket(*out.snapshot, 9000, snap::Transport::Tcp)->listeners[0].hosts.any->rules[0];
  ASSERT_EQ(rule.backends.size(), 1u);
  EXPECT_EQ(rule.backends[0].weight, 70u);
  EXPECT_EQ(rule.total_weight, 70u);
}

TEST(L4Routes, TlsRoutesAreServedByTheirIntersectedHostnames) {
  Fixture f;
  auto out = f.run(std::string(kBase) +
                   route("TLSRoute", "exact", "2024-01-01T00:00:00Z", "one", "  hostnames: [abc.example.com]\n") +
                   route("TLSRoute", "wild", "2024-01-01T00:00:00Z", "two", "  hostnames: [\"*.com\"]\n"));
  const auto& hosts = socket(*out.snapshot, 443, snap::Transport::Tcp)->listeners[0].hosts;
  EXPECT_EQ(servedBy(*out.snapshot, hosts.exact("abc.example.com")), "ns/one:3000");
  // "*.com" narrowed to the listener's "*.example.com".
  ASSERT_EQ(hosts.wildcard_suffix.size(), 1u);
  EXPECT_EQ(hosts.wildcard_suffix[0].first, ".example.com");
  EXPECT_EQ(servedBy(*out.snapshot, hosts.wildcard_suffix[0].second.get()), "ns/two:3000");
  EXPECT_EQ(hosts.any, nullptr);
}

TEST(L4Routes, TlsTerminateListenerIsRefused) {
  Fixture f;
  const std::string terminate = R"(---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: term, namespace: ns}
spec:
  gatewayClassName: gc
  listeners: [{name: t, port: 8443, protocol: TLS, tls: {mode: Terminate, certificateRefs: [{name: cert}]}}]
)";
  auto out = f.run(std::string(kBase) + terminate);
  const auto& listener = out.statuses.at(model::ObjectKey{"Gateway", "ns", "term"})["listeners"][0];
  EXPECT_EQ(listener["supportedKinds"], model::Json::array());
  EXPECT_EQ(listener["conditions"][0]["type"], "Accepted");
  EXPECT_EQ(listener["conditions"][0]["status"], "False");
  EXPECT_EQ(listener["conditions"][0]["reason"], "UnsupportedValue");
}

}  // namespace
}  // namespace gatehouse::translator
