// BackendTLSPolicy resolution: which policy a Service port gets (conflicts by age, then name;
// sectionName over the whole Service), CA references and the conditions they give.
#include "translator/backend_tls_policies.h"

#include <gtest/gtest.h>

#include "../providers/file/file_store.h"

namespace gatehouse::translator {
namespace {

// A self-signed CA (openssl req -x509, P-256, valid until 2126).
constexpr const char* kCa = R"(
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
---
)";

std::string policy(const std::string& name, const std::string& created, const std::string& target,
                   const std::string& hostname, const std::string& validation_extra = "",
                   const std::string& ca_ref = "{group: \"\", kind: ConfigMap, name: ca}") {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: BackendTLSPolicy\n"
         "metadata: {name: " + name + ", namespace: apps, creationTimestamp: \"" + created + "\"}\n"
         "spec:\n  targetRefs: [" + target + "]\n"
         "  validation:\n    hostname: " + hostname + "\n" +
         (ca_ref.empty() ? "" : "    caCertificateRefs: [" + ca_ref + "]\n") + validation_extra + "---\n";
}

const std::string kWeb = "{group: \"\", kind: Service, name: web}";
const std::string kWebHttps = "{group: \"\", kind: Service, name: web, sectionName: https}";

struct Resolved {
  providers::FileStore store;
  BackendTlsPolicies policies;
  explicit Resolved(const std::string& manifests) {
    store.applyFile("all.yaml", manifests);
    EXPECT_TRUE(store.errors().empty()) << store.errors()[0].str();
    policies.build(*store.view());
  }
  const Condition& condition(const std::string& name, const char* type) {
    for (const auto& p : policies.policies())
      if (p.resource->key.name == name) return *findCondition(p.conditions, type);
    ADD_FAILURE() << "no policy " << name;
    static const Condition none;
    return none;
  }
  std::string sni(const std::string& port_name) {
    const auto* tls = policies.forPort(model::ObjectKey{"Service", "apps", "web"}, port_name);
    return tls ? tls->sni : "<none>";
  }
};

TEST(BackendTlsPolicies, OlderPolicyWinsTheSameTarget) {
  Resolved r(std::string(kCa) + policy("newer", "2026-01-02T00:00:00Z", kWeb, "new.example") +
             policy("older", "2026-01-01T00:00:00Z", kWeb, "old.example"));
  EXPECT_EQ(r.sni("http"), "old.example");
  EXPECT_EQ(r.condition("older", condition::kAccepted).reason, reason::kAccepted);
  const Condition& lost = r.condition("newer", condition::kAccepted);
  EXPECT_FALSE(lost.status);
  EXPECT_EQ(lost.reason, reason::kConflicted);
}

TEST(BackendTlsPolicies, EqualAgeFallsBackToTheName) {
  Resolved r(std::string(kCa) + policy("b", "2026-01-01T00:00:00Z", kWeb, "b.example") +
             policy("a", "2026-01-01T00:00:00Z", kWeb, "a.example"));
  EXPECT_EQ(r.sni(""), "a.example");
  EXPECT_EQ(r.condition("b", condition::kAccepted).reason, reason::kConflicted);
}

TEST(BackendTlsPolicies, SectionNamePolicyWinsItsPortWithoutConflict) {
  Resolved r(std::string(kCa) + policy("whole", "2026-01-01T00:00:00Z", kWeb, "whole.example") +
             policy("port", "2026-01-02T00:00:00Z", kWebHttps, "port.example"));
  EXPECT_EQ(r.sni("https"), "port.example");
  EXPECT_EQ(r.sni("http"), "whole.example");
  EXPECT_TRUE(r.condition("whole", condition::kAccepted).status);
  EXPECT_TRUE(r.condition("port", condition::kAccepted).status);
}

TEST(BackendTlsPolicies, CaOfAnotherKindIsInvalidKindAndNoValidCa) {
  Resolved r(std::string(kCa) + policy("p", "2026-01-01T00:00:00Z", kWeb, "web.example", "",
                                       "{group: \"\", kind: Service, name: ca}"));
  EXPECT_EQ(r.condition("p", condition::kResolvedRefs).reason, reason::kInvalidKind);
  EXPECT_EQ(r.condition("p", condition::kAccepted).reason, reason::kNoValidCACertificate);
  const auto* tls = r.policies.forPort(model::ObjectKey{"Service", "apps", "web"}, "");
  ASSERT_NE(tls, nullptr);
  EXPECT_FALSE(tls->usable);  // the cluster keeps TLS: its requests fail instead of going out in plaintext
}

TEST(BackendTlsPolicies, MissingConfigMapIsInvalidCaCertificateRef) {
  Resolved r(policy("p", "2026-01-01T00:00:00Z", kWeb, "web.example"));
  const Condition& resolved = r.condition("p", condition::kResolvedRefs);
  EXPECT_EQ(resolved.reason, reason::kInvalidCACertificateRef);
  EXPECT_EQ(resolved.message, "caCertificateRefs: ConfigMap apps/ca does not exist");
  EXPECT_EQ(r.condition("p", condition::kAccepted).reason, reason::kNoValidCACertificate);
}

TEST(BackendTlsPolicies, SystemCasAndSubjectAltNames) {
  Resolved r(policy("p", "2026-01-01T00:00:00Z", kWeb, "web.example",
                    "    wellKnownCACertificates: System\n"
                    "    subjectAltNames: [{type: Hostname, hostname: a.example}, "
                    "{type: URI, uri: \"spiffe://example/id\"}]\n",
                    ""));
  const auto* tls = r.policies.forPort(model::ObjectKey{"Service", "apps", "web"}, "http");
  ASSERT_NE(tls, nullptr);
  EXPECT_TRUE(tls->usable);
  EXPECT_EQ(tls->ca_pem, "");
  EXPECT_EQ(tls->dns_names, std::vector<std::string>{"a.example"});
  EXPECT_EQ(tls->uris, std::vector<std::string>{"spiffe://example/id"});
  EXPECT_EQ(r.condition("p", condition::kResolvedRefs).reason, reason::kResolvedRefs);
}

TEST(BackendTlsPolicies, OtherServicesGetNoTls) {
  Resolved r(std::string(kCa) + policy("p", "2026-01-01T00:00:00Z", kWeb, "web.example"));
  EXPECT_EQ(r.policies.forPort(model::ObjectKey{"Service", "apps", "api"}, ""), nullptr);
  EXPECT_EQ(r.policies.forPort(model::ObjectKey{"Service", "other", "web"}, ""), nullptr);
}

}  // namespace
}  // namespace gatehouse::translator
