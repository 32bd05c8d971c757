// TCPRoute, UDPRoute and TLSRoute translation: what the snapshot serves for several routes on one
// listener, per SNI, and for unresolved backends.
#include "translator/translator.h"

#include "../providers/file/file_store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

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

// A self-signed certificate for *.example.com (EC P-256, valid until 2126).
const std::string kCertificateSecret = R"(---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: ns}
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJuVENDQVVPZ0F3SUJBZ0lVVTYxUFZEZkpMaEt6LytwSU1EVFdJUkZycGlvd0NnWUlLb1pJemowRUF3SXcKRmpFVU1CSUdBMVVFQXd3TFpYaGhiWEJzWlM1amIyMHdJQmNOTWpZeE1qQTNNRFl6TnpFMFdoZ1BNakV5TmpFeApNVE13TmpNM01UUmFNQll4RkRBU0JnTlZCQU1NQzJWNFlXMXdiR1V1WTI5dE1Ga3dFd1lIS29aSXpqMENBUVlJCktvWkl6ajBEQVFjRFFnQUV5N3kxUTBOdlF3S3Jjc1A4cVNoY0Vkelc4YmNZUGszcXF6bGZlU3BlRUlGeTNodG4KV0tEcEJHUFJ6WXhQVDRXM01oUXg3SGdBbGVoeVF4WVBwUGRtR2FOdE1Hc3dIUVlEVlIwT0JCWUVGTUFIMzVXVQpLeGZ3aVFKeG5yRE1VT2FNR0x4Mk1COEdBMVVkSXdRWU1CYUFGTUFIMzVXVUt4ZndpUUp4bnJETVVPYU1HTHgyCk1BOEdBMVVkRXdFQi93UUZNQU1CQWY4d0dBWURWUjBSQkJFd0Q0SU5LaTVsZUdGdGNHeGxMbU52YlRBS0JnZ3EKaGtqT1BRUURBZ05JQURCRkFpRUF1ZjNCcjQ0T2FkaENWeVRPYTBQZzVVdGJ5T2RvNVBmWEpVUnNhcDdUOWo0QwpJQ05ZdEtOS3dTSGRZMzdXZ3YrekJyb0xwQWNsdWlOMFBGakZRazY3RUNHawotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0E2aGpzNVM5U2NJR1dyNlcKandYUmgvOEhseHFITW5aZUQxT1B2NGlzdU1HaFJBTkNBQVRMdkxWRFEyOURBcXR5dy95cEtGd1IzTmJ4dHhnKwpUZXFyT1Y5NUtsNFFnWExlRzJkWW9Pa0VZOUhOakU5UGhiY3lGREhzZUFDVjZISkRGZytrOTJZWgotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==
)";

std::string gatewayWith(const std::string& listeners) {
  return "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: term, namespace: ns}\n"
         "spec:\n  gatewayClassName: gc\n  listeners:\n" + listeners;
}

const model::Json& termListener(const Output& out, size_t index) {
  return out.statuses.at(model::ObjectKey{"Gateway", "ns", "term"})["listeners"][index];
}

TEST(L4Routes, TlsTerminateListenerIsServedOverTlsWithItsCertificate) {
  Fixture f;
  auto out = f.run(std::string(kBase) + kCertificateSecret +
                   gatewayWith("  - {name: t, port: 8443, protocol: TLS, hostname: db.example.com,\n"
                               "     tls: {mode: Terminate, certificateRefs: [{name: cert}]}}\n") +
                   "---\napiVersion: gateway.networking.k8s.io/v1\nkind: TLSRoute\nmetadata: {name: db, namespace: ns}\n"
                   "spec:\n  parentRefs: [{name: term}]\n  hostnames: [db.example.com]\n"
                   "  rules: [{backendRefs: [{name: one, port: 3000}]}]\n");
  const auto& listener = termListener(out, 0);
  EXPECT_EQ(listener["supportedKinds"],
            model::Json::parse(R"([{"group":"gateway.networking.k8s.io","kind":"TLSRoute"}])"));
  EXPECT_EQ(listener["attachedRoutes"], 1);
  const snap::Socket* sock = nullptr;
  for (const auto& s : out.snapshot->sockets)
    if (s.port == 8443) sock = &s;
  ASSERT_NE(sock, nullptr);
  EXPECT_EQ(sock->transport, snap::Transport::Tls);
  EXPECT_EQ(sock->kind, snap::ListenerKind::TcpProxy);
  ASSERT_EQ(sock->listeners.size(), 1u);
  EXPECT_EQ(sock->listeners[0].certificates.size(), 1u);
  EXPECT_EQ(servedBy(*out.snapshot, sock->listeners[0].hosts.exact("db.example.com")), "ns/one:3000");
}

TEST(L4Routes, TlsTerminateListenerWithoutItsSecretIsNotProgrammed) {
  Fixture f;
  auto out = f.run(std::string(kBase) +
                   gatewayWith("  - {name: t, port: 8443, protocol: TLS, tls: {mode: Terminate, "
                               "certificateRefs: [{name: missing}]}}\n"));
  const auto& conditions = termListener(out, 0)["conditions"];
  auto find = [&](const std::string& type) {
    for (const auto& c : conditions)
      if (c["type"] == type) return c;
    return model::Json();
  };
  EXPECT_EQ(find("ResolvedRefs")["reason"], "InvalidCertificateRef");
  EXPECT_EQ(find("Programmed")["status"], "False");
  for (const auto& s : out.snapshot->sockets) EXPECT_NE(s.port, 8443);
}

TEST(L4Routes, HttpsAndTlsListenersOnOnePortShareOneSocketPickedBySni) {
  Fixture f;
  auto out = f.run(std::string(kBase) + kCertificateSecret +
                   gatewayWith("  - {name: web, port: 8443, protocol: HTTPS, hostname: web.example.com,\n"
                               "     tls: {certificateRefs: [{name: cert}]}}\n"
                               "  - {name: db, port: 8443, protocol: TLS, hostname: db.example.com,\n"
                               "     tls: {mode: Terminate, certificateRefs: [{name: cert}]}}\n"
                               "  - {name: pass, port: 8443, protocol: TLS, hostname: pass.example.com,\n"
                               "     tls: {mode: Passthrough}}\n"));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(termListener(out, i)["conditions"][0]["type"], "Accepted");
    EXPECT_EQ(termListener(out, i)["conditions"][0]["status"], "True") << i;
  }
  std::vector<const snap::Socket*> on_port;
  for (const auto& s : out.snapshot->sockets)
    if (s.port == 8443) on_port.push_back(&s);
  ASSERT_EQ(on_port.size(), 1u);
  EXPECT_EQ(on_port[0]->transport, snap::Transport::Tcp);
  EXPECT_EQ(on_port[0]->kind, snap::ListenerKind::SniDispatch);
  std::map<std::string, snap::ListenerKind> kinds;
  for (const auto& l : on_port[0]->listeners) kinds[l.name] = l.kind;
  EXPECT_EQ(kinds, (std::map<std::string, snap::ListenerKind>{{"db", snap::ListenerKind::TcpProxy},
                                                              {"pass", snap::ListenerKind::TlsPassthrough},
                                                              {"web", snap::ListenerKind::HttpConnectionManager}}));
}

}  // namespace
}  // namespace gatehouse::translator
