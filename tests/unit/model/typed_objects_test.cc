// Typed objects as the store decodes them: defaults applied, reference namespaces resolved,
// durations and base64 decoded.
#include <gtest/gtest.h>

#include "model/types/core.h"
#include "model/types/gateway.h"
#include "model/types/http_route.h"
#include "model/types/reference_grant.h"
#include "../providers/file/file_store.h"

namespace gatehouse::model {
namespace {

struct Decoded {
  providers::FileStore store;
  explicit Decoded(const std::string& manifest) {
    store.applyFile("f.yaml", manifest);
    EXPECT_TRUE(store.errors().empty()) << store.errors()[0].str();
  }
  template <class T>
  const T* get(const ObjectKey& key) {
    auto r = store.live().find(key);
    return r ? r->as<T>() : nullptr;
  }
};

TEST(TypedObjects, HTTPRouteRefsTakeTheRouteNamespaceAndDefaults) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: apps}
spec:
  parentRefs: [{name: gw, sectionName: http}, {name: other, namespace: infra, port: 8080}]
  hostnames: [a.example.com]
  rules:
  - backendRefs: [{name: web, port: 80}, {name: api, namespace: backends, port: 81, weight: 3}]
    timeouts: {request: 10s, backendRequest: 1500ms}
)");
  const auto* route = d.get<HTTPRoute>({"HTTPRoute", "apps", "r"});
  ASSERT_NE(route, nullptr);
  ASSERT_EQ(route->parent_refs.size(), 2u);
  const auto& p0 = route->parent_refs[0];
  EXPECT_EQ(p0.group, "gateway.networking.k8s.io");
  EXPECT_EQ(p0.kind, "Gateway");
  EXPECT_EQ(p0.ns, "apps");
  EXPECT_EQ(p0.section_name, "http");
  EXPECT_EQ(p0.port, std::nullopt);
  EXPECT_EQ(route->parent_refs[1].ns, "infra");
  EXPECT_EQ(route->parent_refs[1].port, 8080);
  EXPECT_EQ(route->hostnames, std::vector<std::string>{"a.example.com"});
  ASSERT_EQ(route->rules.size(), 1u);
  const auto& rule = route->rules[0];
  // The CRD default: one PathPrefix "/" match.
  ASSERT_EQ(rule.matches.size(), 1u);
  EXPECT_EQ(rule.matches[0].path.type, "PathPrefix");
  EXPECT_EQ(rule.matches[0].path.value, "/");
  ASSERT_EQ(rule.backend_refs.size(), 2u);
  EXPECT_EQ(rule.backend_refs[0].ref.kind, "Service");
  EXPECT_EQ(rule.backend_refs[0].ref.ns, "apps");
  EXPECT_EQ(rule.backend_refs[0].weight, 1);
  EXPECT_EQ(rule.backend_refs[1].ref.ns, "backends");
  EXPECT_EQ(rule.backend_refs[1].ref.port, 81);
  EXPECT_EQ(rule.backend_refs[1].weight, 3);
  EXPECT_EQ(rule.request_timeout_ms, 10000u);
  EXPECT_EQ(rule.backend_request_timeout_ms, 1500u);
}

TEST(TypedObjects, HTTPRouteFiltersCarryTheirMember) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: apps}
spec:
  parentRefs: [{name: gw}]
  rules:
  - filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, port: 8443, path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
    - type: RequestMirror
      requestMirror: {backendRef: {name: shadow, port: 80}, percent: 25}
)");
  const auto* route = d.get<HTTPRoute>({"HTTPRoute", "apps", "r"});
  ASSERT_NE(route, nullptr);
  const auto& filters = route->rules[0].filters;
  ASSERT_EQ(filters.size(), 2u);
  ASSERT_TRUE(filters[0].request_redirect);
  EXPECT_EQ(filters[0].request_redirect->scheme, "https");
  EXPECT_EQ(filters[0].request_redirect->port, 8443);
  EXPECT_EQ(filters[0].request_redirect->status_code, 302);
  ASSERT_TRUE(filters[0].request_redirect->path);
  EXPECT_EQ(filters[0].request_redirect->path->type, "ReplacePrefixMatch");
  EXPECT_EQ(filters[0].request_redirect->path->value, "/v2");
  EXPECT_FALSE(filters[0].request_mirror);
  ASSERT_TRUE(filters[1].request_mirror);
  EXPECT_EQ(filters[1].request_mirror->backend_ref.name, "shadow");
  EXPECT_EQ(filters[1].request_mirror->backend_ref.ns, "apps");
  EXPECT_EQ(filters[1].request_mirror->percent, 25);
}

TEST(TypedObjects, GatewayListenersWithTlsAndAllowedRoutes) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  addresses: [{value: 10.0.0.1}]
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    tls: {certificateRefs: [{name: cert}, {name: other, namespace: certs}]}
    allowedRoutes:
      namespaces: {from: Selector, selector: {matchLabels: {team: a}}}
      kinds: [{kind: HTTPRoute}]
  - {name: http, port: 80, protocol: HTTP}
)");
  const auto* gw = d.get<Gateway>({"Gateway", "infra", "gw"});
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(gw->class_name, "gc");
  ASSERT_EQ(gw->addresses.size(), 1u);
  EXPECT_EQ(gw->addresses[0].type, "IPAddress");
  EXPECT_EQ(gw->addresses[0].value, "10.0.0.1");
  ASSERT_EQ(gw->listeners.size(), 2u);
  const auto& https = gw->listeners[0];
  EXPECT_EQ(https.hostname, "*.example.com");
  ASSERT_TRUE(https.tls);
  EXPECT_EQ(https.tls->mode, "Terminate");
  ASSERT_EQ(https.tls->certificate_refs.size(), 2u);
  EXPECT_EQ(https.tls->certificate_refs[0].kind, "Secret");
  EXPECT_EQ(https.tls->certificate_refs[0].ns, "infra");
  EXPECT_EQ(https.tls->certificate_refs[1].ns, "certs");
  EXPECT_EQ(https.allowed_routes.namespaces_from, "Selector");
  EXPECT_TRUE(https.allowed_routes.selector.matches({{"team", "a"}}));
  EXPECT_FALSE(https.allowed_routes.selector.matches({{"team", "b"}}));
  ASSERT_EQ(https.allowed_routes.kinds.size(), 1u);
  EXPECT_EQ(https.allowed_routes.kinds[0].group, "gateway.networking.k8s.io");
  const auto& http = gw->listeners[1];
  EXPECT_EQ(http.hostname, "");
  EXPECT_FALSE(http.tls);
  EXPECT_EQ(http.allowed_routes.namespaces_from, "Same");
}

TEST(TypedObjects, GatewayFrontendValidationDefaultAndPerPort) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  listeners: [{name: http, port: 80, protocol: HTTP}]
  tls:
    frontend:
      default:
        validation: {caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]}
      perPort:
      - port: 8443
        tls:
          validation:
            mode: AllowInsecureFallback
            caCertificateRefs: [{group: "", kind: Secret, name: other, namespace: pki}]
      - port: 9443
        tls: {}
)");
  const auto* gw = d.get<Gateway>({"Gateway", "infra", "gw"});
  ASSERT_NE(gw, nullptr);
  const auto& frontend = gw->frontend_tls;
  ASSERT_TRUE(frontend.default_validation);
  EXPECT_FALSE(frontend.default_validation->allow_insecure_fallback);  // AllowValidOnly, the default
  ASSERT_EQ(frontend.default_validation->ca_certificate_refs.size(), 1u);
  const ObjectRef& ca = frontend.default_validation->ca_certificate_refs[0];
  EXPECT_EQ(std::tie(ca.group, ca.kind, ca.ns, ca.name), std::tie("", "ConfigMap", "infra", "ca"));
  ASSERT_EQ(frontend.per_port.size(), 2u);
  EXPECT_EQ(frontend.per_port[0].first, 8443);
  ASSERT_TRUE(frontend.per_port[0].second);
  EXPECT_TRUE(frontend.per_port[0].second->allow_insecure_fallback);
  EXPECT_EQ(frontend.per_port[0].second->ca_certificate_refs[0].ns, "pki");
  EXPECT_EQ(frontend.per_port[1].first, 9443);
  EXPECT_FALSE(frontend.per_port[1].second);  // that port validates no client certificate
}

TEST(TypedObjects, GatewayAllowsNoListenerSetsByDefault) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: gc
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: selecting, namespace: infra}
spec:
  gatewayClassName: gc
  allowedListeners: {namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
)");
  const auto* plain = d.get<Gateway>({"Gateway", "infra", "gw"});
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->allowed_listeners.namespaces_from, "None");
  const auto* selecting = d.get<Gateway>({"Gateway", "infra", "selecting"});
  ASSERT_NE(selecting, nullptr);
  EXPECT_EQ(selecting->allowed_listeners.namespaces_from, "Selector");
  EXPECT_TRUE(selecting->allowed_listeners.selector.matches({{"team", "a"}}));
  EXPECT_FALSE(selecting->allowed_listeners.selector.matches({{"team", "b"}}));
}

TEST(TypedObjects, ListenerSetParentAndListenersTakeItsNamespace) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: ls, namespace: apps}
spec:
  parentRef: {name: gw, namespace: infra}
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    hostname: app.example.com
    tls: {certificateRefs: [{name: cert}]}
)");
  const auto* set = d.get<ListenerSet>({"ListenerSet", "apps", "ls"});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->parent.group, "gateway.networking.k8s.io");
  EXPECT_EQ(set->parent.kind, "Gateway");
  EXPECT_EQ(set->parent.ns, "infra");
  EXPECT_EQ(set->parent.name, "gw");
  ASSERT_EQ(set->listeners.size(), 1u);
  const auto& https = set->listeners[0];
  EXPECT_EQ(https.port, 443);
  EXPECT_EQ(https.hostname, "app.example.com");
  ASSERT_TRUE(https.tls);
  ASSERT_EQ(https.tls->certificate_refs.size(), 1u);
  EXPECT_EQ(https.tls->certificate_refs[0].ns, "apps");
  EXPECT_EQ(https.allowed_routes.namespaces_from, "Same");
}

TEST(TypedObjects, SecretDataIsDecodedWithStringDataMerged) {
  Decoded d(R"(
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: ns}
data: {a: aGVsbG8=}
stringData: {b: plain}
)");
  const auto* secret = d.get<Secret>({"Secret", "ns", "s"});
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ(secret->data, (std::map<std::string, std::string>{{"a", "hello"}, {"b", "plain"}}));
}

TEST(TypedObjects, NamespaceLabelsIncludeTheMetadataNameLabel) {
  Decoded d(R"(
apiVersion: v1
kind: Namespace
metadata: {name: apps, labels: {team: a}}
)");
  const auto* ns = d.get<Namespace>({"Namespace", "", "apps"});
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->labels,
            (std::map<std::string, std::string>{{"kubernetes.io/metadata.name", "apps"}, {"team", "a"}}));
}

TEST(TypedObjects, ReferenceGrantFromAndTo) {
  Decoded d(R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: "", kind: Service}]
)");
  const auto* grant = d.get<ReferenceGrant>({"ReferenceGrant", "backends", "g"});
  ASSERT_NE(grant, nullptr);
  ASSERT_EQ(grant->from.size(), 1u);
  EXPECT_EQ(grant->from[0].ns, "apps");
  ASSERT_EQ(grant->to.size(), 1u);
  EXPECT_EQ(grant->to[0].kind, "Service");
  EXPECT_EQ(grant->to[0].name, "");
}

TEST(TypedObjects, ConfigMapDataIsKeptAsText) {
  Decoded d(R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: ns}
data: {ca.crt: "PEM"}
)");
  auto r = d.store.live().find({"ConfigMap", "ns", "c"});
  ASSERT_NE(r, nullptr);
  const auto* cm = r->as<ConfigMap>();
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->data, (std::map<std::string, std::string>{{"ca.crt", "PEM"}}));
}

TEST(TypedObjects, KindsTheTranslatorDoesNotReadHaveNoTypedForm) {
  Decoded d(R"(
apiVersion: gatehouse.dev/v1alpha1
kind: GatehouseParameters
metadata: {name: p, namespace: ns}
spec: {replicas: 2}
)");
  auto r = d.store.live().find({"GatehouseParameters", "ns", "p"});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->typed, nullptr);
}

}  // namespace
}  // namespace gatehouse::model
