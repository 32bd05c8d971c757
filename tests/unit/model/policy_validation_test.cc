// ReferenceGrant and BackendTLSPolicy: rejections with exact errors (neither has defaults).
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

json validGrant() {
  return yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow
  namespace: backends
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: default
  to:
  - group: ""
    kind: Service
)y");
}

TEST(ReferenceGrantDefaults, NothingIsAdded) { EXPECT_EQ(defaulted("ReferenceGrant", validGrant()), validGrant()); }

TEST(ReferenceGrantValidation, AcceptsV1beta1AndV1) {
  EXPECT_THAT(errorsOf("ReferenceGrant", validGrant()), IsEmpty());
  EXPECT_THAT(errorsOf("ReferenceGrant", edited(validGrant(), {{"/apiVersion", "gateway.networking.k8s.io/v1"},
                                                               {"/spec/to/0/name", "svc"}})),
              IsEmpty());
}

class ReferenceGrantRejects : public ::testing::TestWithParam<Case> {};
TEST_P(ReferenceGrantRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("ReferenceGrant", edited(validGrant(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceGrantRejects,
    ::testing::Values(
        Case{"MissingFrom", {{"/spec/from", removed()}}, {{"spec.from", "Required value"}}},
        Case{"EmptyTo", {{"/spec/to", json::array()}}, {{"spec.to", "should have at least 1 items"}}},
        Case{"FromWithoutNamespace", {{"/spec/from/0/namespace", removed()}}, {{"spec.from[0].namespace", "Required value"}}},
        Case{"FromWithoutGroup", {{"/spec/from/0/group", removed()}}, {{"spec.from[0].group", "Required value"}}},
        Case{"ToWithoutGroup", {{"/spec/to/0/group", removed()}}, {{"spec.to[0].group", "Required value"}}},
        Case{"ToNameEmpty", {{"/spec/to/0/name", ""}}, {{"spec.to[0].name", "should be at least 1 chars long"}}},
        Case{"FromNamespaceInvalid",
             {{"/spec/from/0/namespace", "Default"}},
             {{"spec.from[0].namespace", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"}}},
        Case{"ToNamespaceUnknown", {{"/spec/to/0/namespace", "x"}}, {{"spec.to[0].namespace", "unknown field"}}},
        Case{"KindTooLong",
             {{"/spec/to/0/kind", std::string(64, 'K')}},
             {{"spec.to[0].kind", "Too long: may not be more than 63 bytes"}}}),
    caseName);

json validPolicy() {
  return yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata:
  name: tls
  namespace: default
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: backend
  validation:
    hostname: backend.example.com
    caCertificateRefs:
    - group: ""
      kind: ConfigMap
      name: ca
)y");
}

TEST(BackendTLSPolicyDefaults, NothingIsAdded) { EXPECT_EQ(defaulted("BackendTLSPolicy", validPolicy()), validPolicy()); }

TEST(BackendTLSPolicyValidation, AcceptsValidPolicies) {
  EXPECT_THAT(errorsOf("BackendTLSPolicy", validPolicy()), IsEmpty());
  EXPECT_THAT(errorsOf("BackendTLSPolicy",
                       edited(validPolicy(), {{"/spec/validation/caCertificateRefs", removed()},
                                              {"/spec/validation/wellKnownCACertificates", "System"},
                                              {"/spec/validation/subjectAltNames",
                                               yaml("[{type: Hostname, hostname: '*.example.com'}, {type: URI, uri: 'spiffe://td/ns/x'}]")},
                                              {"/spec/targetRefs/-", yaml("{group: '', kind: Service, name: other, sectionName: https}")},
                                              {"/spec/options", yaml("{example.com/k: v}")}})),
              IsEmpty());
}

class BackendTLSPolicyRejects : public ::testing::TestWithParam<Case> {};
TEST_P(BackendTLSPolicyRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("BackendTLSPolicy", edited(validPolicy(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, BackendTLSPolicyRejects,
    ::testing::Values(
        Case{"UnservedV1alpha3",
             {{"/apiVersion", "gateway.networking.k8s.io/v1alpha3"}},
             {{"apiVersion",
               "Unsupported value: \"gateway.networking.k8s.io/v1alpha3\": supported values: \"gateway.networking.k8s.io/v1\""}}},
        Case{"MissingValidation", {{"/spec/validation", removed()}}, {{"spec.validation", "Required value"}}},
        Case{"MissingHostname", {{"/spec/validation/hostname", removed()}}, {{"spec.validation.hostname", "Required value"}}},
        Case{"WildcardHostname",
             {{"/spec/validation/hostname", "*.example.com"}},
             {{"spec.validation.hostname", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}}},
        Case{"NoCaSource",
             {{"/spec/validation/caCertificateRefs", removed()}},
             {{"spec.validation", "must specify either CACertificateRefs or WellKnownCACertificates"}}},
        Case{"BothCaSources",
             {{"/spec/validation/wellKnownCACertificates", "System"}},
             {{"spec.validation", "must not contain both CACertificateRefs and WellKnownCACertificates"}}},
        Case{"WellKnownInvalid",
             {{"/spec/validation/caCertificateRefs", removed()}, {"/spec/validation/wellKnownCACertificates", "Everything"}},
             {{"spec.validation.wellKnownCACertificates",
               "should match '^(System|([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/([A-Za-z0-9][-A-Za-z0-9_.]"
               "{0,61})?[A-Za-z0-9]))$'"}}},
        Case{"NineCaRefs",
             {{"/spec/validation/caCertificateRefs",
               json::array({yaml("{group: '', kind: ConfigMap, name: a}"), yaml("{group: '', kind: ConfigMap, name: b}"),
                            yaml("{group: '', kind: ConfigMap, name: c}"), yaml("{group: '', kind: ConfigMap, name: d}"),
                            yaml("{group: '', kind: ConfigMap, name: e}"), yaml("{group: '', kind: ConfigMap, name: f}"),
                            yaml("{group: '', kind: ConfigMap, name: g}"), yaml("{group: '', kind: ConfigMap, name: h}"),
                            yaml("{group: '', kind: ConfigMap, name: i}")})}},
             {{"spec.validation.caCertificateRefs", "Too many: 9: must have at most 8 items"}}},
        Case{"SanHostnameMissing",
             {{"/spec/validation/subjectAltNames", yaml("[{type: Hostname}]")}},
             {{"spec.validation.subjectAltNames[0]", "SubjectAltName element must contain Hostname, if Type is set to Hostname"}}},
        Case{"SanUriWithHostname",
             {{"/spec/validation/subjectAltNames", yaml("[{type: URI, uri: 'spiffe://a/b', hostname: a.example.com}]")}},
             {{"spec.validation.subjectAltNames[0]", "SubjectAltName element must not contain Hostname, if Type is not set to Hostname"}}},
        Case{"SanUriMissing",
             {{"/spec/validation/subjectAltNames", yaml("[{type: URI}]")}},
             {{"spec.validation.subjectAltNames[0]", "SubjectAltName element must contain URI, if Type is set to URI"}}},
        Case{"SanHostnameWithUri",
             {{"/spec/validation/subjectAltNames", yaml("[{type: Hostname, hostname: a.example.com, uri: 'spiffe://a/b'}]")}},
             {{"spec.validation.subjectAltNames[0]", "SubjectAltName element must not contain URI, if Type is not set to URI"}}},
        Case{"SanUriWithoutScheme",
             {{"/spec/validation/subjectAltNames", yaml("[{type: URI, uri: 'no-scheme'}]")}},
             {{"spec.validation.subjectAltNames[0].uri",
               "should match '^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\\?([^#]*))?(#(.*))?'"}}},
        Case{"NoTargetRefs", {{"/spec/targetRefs", json::array()}}, {{"spec.targetRefs", "should have at least 1 items"}}},
        Case{"SameTargetTwice",
             {{"/spec/targetRefs/-", yaml("{group: '', kind: Service, name: backend}")}},
             {{"spec.targetRefs", "sectionName must be unique when targetRefs includes 2 or more references to the same target"}}},
        Case{"SameTargetWithAndWithoutSection",
             {{"/spec/targetRefs/-", yaml("{group: '', kind: Service, name: backend, sectionName: https}")}},
             {{"spec.targetRefs", "sectionName must be specified when targetRefs includes 2 or more references to the same target"}}},
        Case{"TargetRefWithoutKind", {{"/spec/targetRefs/0/kind", removed()}}, {{"spec.targetRefs[0].kind", "Required value"}}},
        Case{"TargetRefNamespaceUnknown", {{"/spec/targetRefs/0/namespace", "x"}}, {{"spec.targetRefs[0].namespace", "unknown field"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
