// Cross-object references: ReferenceGrants, TLS Secrets, Service ports and EndpointSlices, read
// from objects the store decoded.
#include "translator/references.h"

#include <gtest/gtest.h>

#include "../providers/file/file_store.h"

namespace gatehouse::translator {
namespace {

constexpr const char* kGrant = R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: "", kind: Service, name: web}]
)";

struct Objects {
  providers::FileStore store;
  std::shared_ptr<const store::View> view;
  explicit Objects(const std::string& manifests) {
    store.applyFile("all.yaml", manifests);
    EXPECT_TRUE(store.errors().empty()) << store.errors()[0].str();
    view = store.view();
  }
  template <class T>
  const T& get(const std::string& kind, const std::string& ns, const std::string& name) {
    auto r = view->find(model::ObjectKey{kind, ns, name});
    EXPECT_NE(r, nullptr);
    return *r->as<T>();
  }
};

const RefFrom kFromApps{"gateway.networking.k8s.io", "HTTPRoute", "apps"};

TEST(ReferenceAllowed, SameNamespaceNeedsNoGrant) {
  Objects o("");
  EXPECT_TRUE(referenceAllowed(*o.view, kFromApps, {"", "Service", "apps", "web"}));
}

TEST(ReferenceAllowed, OtherNamespaceWithoutGrantIsRefused) {
  Objects o("");
  EXPECT_FALSE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends", "web"}));
}

TEST(ReferenceAllowed, GrantAllowsTheNamedTargetOnly) {
  Objects o(kGrant);
  EXPECT_TRUE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends", "web"}));
  EXPECT_FALSE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends", "api"}));
}

TEST(ReferenceAllowed, OnlyGrantsOfTheTargetsNamespaceCount) {
  // Namespaces either side of "backends" in key order, each with a grant that would match.
  std::string grants;
  for (const char* ns : {"backend", "backends-2", "apps"}) {
    std::string g = kGrant;
    g.replace(g.find("namespace: backends"), 19, std::string("namespace: ") + ns);
    grants += g + "---\n";
  }
  Objects o(grants);
  EXPECT_FALSE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends", "web"}));
  EXPECT_TRUE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends-2", "web"}));
}

TEST(ReferenceAllowed, GrantDoesNotCoverAnotherSourceKindOrNamespace) {
  Objects o(kGrant);
  EXPECT_FALSE(referenceAllowed(*o.view, {"gateway.networking.k8s.io", "GRPCRoute", "apps"},
                                {"", "Service", "backends", "web"}));
  EXPECT_FALSE(referenceAllowed(*o.view, {"gateway.networking.k8s.io", "HTTPRoute", "other"},
                                {"", "Service", "backends", "web"}));
}

TEST(ReferenceAllowed, GrantInAnotherNamespaceThanTheTargetDoesNotCount) {
  Objects o(kGrant);
  EXPECT_FALSE(referenceAllowed(*o.view, kFromApps, {"", "Service", "elsewhere", "web"}));
}

TEST(ReferenceAllowed, GrantWithoutNameAllowsEveryObjectOfTheKind) {
  Objects o(R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: backends}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: "", kind: Service}]
)");
  EXPECT_TRUE(referenceAllowed(*o.view, kFromApps, {"", "Service", "backends", "any"}));
  EXPECT_FALSE(referenceAllowed(*o.view, kFromApps, {"", "Secret", "backends", "any"}));
}

TEST(LoadTlsSecret, MissingKeyIsNamed) {
  Objects o(R"(
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: ns}
type: Opaque
data: {tls.crt: Y2VydA==}
)");
  auto result = loadTlsSecret(o.get<model::Secret>("Secret", "ns", "s"));
  EXPECT_FALSE(result.certificate);
  EXPECT_EQ(result.error, "data.tls.key is missing");
}

TEST(LoadTlsSecret, NonPemCertificateIsRefused) {
  Objects o(R"(
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: ns}
type: Opaque
data: {tls.crt: Y2VydA==, tls.key: a2V5}
)");
  auto result = loadTlsSecret(o.get<model::Secret>("Secret", "ns", "s"));
  EXPECT_FALSE(result.certificate);
  EXPECT_EQ(result.error, "tls.crt does not hold a PEM certificate");
}

constexpr const char* kServiceAndSlices = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns}
spec:
  ports: [{name: http, port: 80, targetPort: 8080, appProtocol: kubernetes.io/h2c}, {name: admin, port: 9000}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: ns, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
endpoints:
- addresses: [10.0.0.1, 10.0.0.2]
- addresses: [10.0.0.3]
  conditions: {ready: false}
- addresses: [10.0.0.4]
  conditions: {ready: true}
)";

TEST(ServicePorts, FoundByNumberWithNameAndAppProtocol) {
  Objects o(kServiceAndSlices);
  const auto& service = o.get<model::Service>("Service", "ns", "web");
  const auto* port = findServicePort(service, 80);
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->name, "http");
  EXPECT_EQ(port->app_protocol, "kubernetes.io/h2c");
  EXPECT_EQ(findServicePort(service, 8080), nullptr);
}

TEST(SliceEndpoints, ReadyEndpointsOfTheSlicePortNamedLikeTheServicePort) {
  Objects o(kServiceAndSlices);
  const auto& service = o.get<model::Service>("Service", "ns", "web");
  const auto& slice = o.get<model::EndpointSlice>("EndpointSlice", "ns", "web-1");
  std::vector<snapshot::Endpoint> http, admin;
  appendSliceEndpoints(slice, *findServicePort(service, 80), http);
  appendSliceEndpoints(slice, *findServicePort(service, 9000), admin);
  EXPECT_EQ(http, (std::vector<snapshot::Endpoint>{{"10.0.0.1", 8080}, {"10.0.0.2", 8080}, {"10.0.0.4", 8080}}));
  EXPECT_EQ(admin, (std::vector<snapshot::Endpoint>{{"10.0.0.1", 9090}, {"10.0.0.2", 9090}, {"10.0.0.4", 9090}}));
}

}  // namespace
}  // namespace gatehouse::translator
