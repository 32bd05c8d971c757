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

// A self-signed CA (openssl req -x509, P-256, valid until 2126), as a ConfigMap's ca.crt.
constexpr const char* kCaConfigMap = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: ca, namespace: apps}
data:
  ca.crt: |
    -----BEGIN CERTIFICATE-----
    MIIBhTCCASugAwIBAgIUcdn5uUO/0MYOTC9HoL4mSM421kswCgYIKoZIzj0EAwIw
    FzEVMBMGA1UEAwwMdW5pdC10ZXN0LWNhMCAXDTI2MTIwNzA5MDQwM1oYDzIxMjYx
    MTEzMDkwNDAzWjAXMRUwEwYDVQQDDAx1bml0LXRlc3QtY2EwWTATBgcqhkjOPQIB
    BggqhkjOPQMBBwNCAAQMa5A/46eL7xpkkyCyCgsi5vmtSQLoYmLv85GTKYryg7Qn
    YeF0WMcW4LD4tiFcwJ3h+e/DkzPWB4Z8dpz2FCJwo1MwUTAdBgNVHQ4EFgQUpIIX
    GvFQSv22CFLPE/AJuZjF+MswHwYDVR0jBBgwFoAUpIIXGvFQSv22CFLPE/AJuZjF
    +MswDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiA4mu6baMSETeR8
    OLtLnYfjGLJhVn4FRaZtnBN/UvYxsQIhAN4/5gPY3hzzu1iJFiBmOndJjdxkaQb6
    KD1wJk5HIHxK
    -----END CERTIFICATE-----
)";

const RefFrom kFromGateway{"gateway.networking.k8s.io", "Gateway", "apps"};

TEST(LoadCaBundle, ConfigMapCaCrtIsTheBundle) {
  Objects o(kCaConfigMap);
  auto result = loadCaBundle(*o.view, kFromGateway, {"", "ConfigMap", "apps", "ca"});
  EXPECT_EQ(result.problem, CaBundleResult::Problem::None);
  EXPECT_EQ(result.pem.substr(0, 27), "-----BEGIN CERTIFICATE-----");
}

TEST(LoadCaBundle, SecretCaCrtIsTheBundle) {
  std::string secret = kCaConfigMap;
  secret.replace(secret.find("kind: ConfigMap"), 15, "kind: Secret");
  secret.replace(secret.find("\ndata:"), 6, "\nstringData:");
  Objects o(secret);
  EXPECT_EQ(loadCaBundle(*o.view, kFromGateway, {"", "Secret", "apps", "ca"}).problem, CaBundleResult::Problem::None);
}

TEST(LoadCaBundle, OtherKindsAreUnsupported) {
  Objects o(kCaConfigMap);
  auto result = loadCaBundle(*o.view, kFromGateway, {"", "Service", "apps", "ca"});
  EXPECT_EQ(result.problem, CaBundleResult::Problem::UnsupportedKind);
  EXPECT_EQ(result.message, "Service is not a supported kind of CA certificate reference (core ConfigMap or Secret)");
  EXPECT_EQ(loadCaBundle(*o.view, kFromGateway, {"example.com", "ConfigMap", "apps", "ca"}).problem,
            CaBundleResult::Problem::UnsupportedKind);
}

TEST(LoadCaBundle, OtherNamespaceNeedsAGrant) {
  std::string other = kCaConfigMap;
  other.replace(other.find("namespace: apps"), 15, "namespace: pki");
  Objects o(other);
  auto result = loadCaBundle(*o.view, kFromGateway, {"", "ConfigMap", "pki", "ca"});
  EXPECT_EQ(result.problem, CaBundleResult::Problem::NotPermitted);
  EXPECT_EQ(result.message, "no ReferenceGrant in pki allows this Gateway to use ConfigMap pki/ca");
}

TEST(LoadCaBundle, MissingObjectOrKeyOrPemIsInvalid) {
  Objects o(std::string(kCaConfigMap) + R"(---
apiVersion: v1
kind: ConfigMap
metadata: {name: no-key, namespace: apps}
data: {tls.crt: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-pem, namespace: apps}
data: {ca.crt: "just text"}
)");
  auto missing = loadCaBundle(*o.view, kFromGateway, {"", "ConfigMap", "apps", "absent"});
  EXPECT_EQ(missing.problem, CaBundleResult::Problem::Invalid);
  EXPECT_EQ(missing.message, "ConfigMap apps/absent does not exist");
  EXPECT_EQ(loadCaBundle(*o.view, kFromGateway, {"", "ConfigMap", "apps", "no-key"}).message,
            "ConfigMap apps/no-key has no key ca.crt");
  EXPECT_EQ(loadCaBundle(*o.view, kFromGateway, {"", "ConfigMap", "apps", "not-pem"}).message,
            "ConfigMap apps/not-pem: ca.crt does not hold a PEM certificate");
}

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
