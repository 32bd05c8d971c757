// Core kinds: Namespace, Service, EndpointSlice, Secret, ConfigMap.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

constexpr const char* kDns1035 =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, "
    "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
    "'[a-z]([-a-z0-9]*[a-z0-9])?')";
constexpr const char* kDns1123Label =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with "
    "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr const char* kConfigKey =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  "
    "or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

// ---------------------------------------------------------------------------------------------
// Namespace

TEST(NamespaceValidation, AcceptsLabelledNamespace) {
  EXPECT_THAT(errorsOf("Namespace", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: infra, labels: {team: a}}}")),
              IsEmpty());
}

TEST(NamespaceValidation, RejectsNameWithDot) {
  EXPECT_EQ(errorsOf("Namespace", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: a.b}}")),
            (std::vector<FieldError>{{"metadata.name", kDns1123Label}}));
}

TEST(NamespaceDefaults, ClearsMetadataNamespace) {
  EXPECT_EQ(defaulted("Namespace", yaml("{apiVersion: v1, kind: Namespace, metadata: {name: a, namespace: b}}")),
            yaml("{apiVersion: v1, kind: Namespace, metadata: {name: a}}"));
}

// ---------------------------------------------------------------------------------------------
// Service

json validService() {
  return yaml(R"y(
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: default
spec:
  selector:
    app: backend
  ports:
  - name: http
    port: 8080
  - name: grpc
    port: 9000
    targetPort: grpc
    protocol: TCP
)y");
}

TEST(ServiceDefaults, ProtocolTargetPortTypeAffinityAndTrafficPolicy) {
  json want = yaml(R"y(
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: default
spec:
  selector:
    app: backend
  ports:
  - {name: http, port: 8080, protocol: TCP, targetPort: 8080}
  - {name: grpc, port: 9000, targetPort: grpc, protocol: TCP}
  type: ClusterIP
  sessionAffinity: None
  internalTrafficPolicy: Cluster
)y");
  EXPECT_EQ(defaulted("Service", validService()), want);
}

TEST(ServiceDefaults, NodePortGetsExternalTrafficPolicy) {
  json svc = defaulted("Service", edited(validService(), {{"/spec/type", "NodePort"}}));
  EXPECT_EQ(svc["spec"]["externalTrafficPolicy"], "Cluster");
}

TEST(ServiceDefaults, ExternalNameGetsNoTrafficPolicy) {
  json svc = defaulted("Service", yaml("{apiVersion: v1, kind: Service, metadata: {name: ext}, spec: {type: ExternalName, externalName: a.example.com}}"));
  EXPECT_EQ(svc["spec"], yaml("{type: ExternalName, externalName: a.example.com, sessionAffinity: None}"));
}

TEST(ServiceValidation, AcceptsValidServices) {
  EXPECT_THAT(errorsOf("Service", validService()), IsEmpty());
  EXPECT_THAT(errorsOf("Service", yaml("{apiVersion: v1, kind: Service, metadata: {name: headless}, spec: {clusterIP: None}}")), IsEmpty());
  EXPECT_THAT(errorsOf("Service", yaml("{apiVersion: v1, kind: Service, metadata: {name: ext}, spec: {type: ExternalName, externalName: a.example.com}}")),
              IsEmpty());
}

class ServiceRejects : public ::testing::TestWithParam<Case> {};
TEST_P(ServiceRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("Service", edited(validService(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ServiceRejects,
    ::testing::Values(
        Case{"NameStartsWithDigit", {{"/metadata/name", "1backend"}}, {{"metadata.name", kDns1035}}},
        Case{"PortZero",
             {{"/spec/ports/0/port", 0}},
             // targetPort defaults to the port, so it is out of range too, as with the API server.
             {{"spec.ports[0].port", "must be between 1 and 65535, inclusive"},
              {"spec.ports[0].targetPort", "must be between 1 and 65535, inclusive"}}},
        Case{"PortMissing", {{"/spec/ports/0/port", removed()}}, {{"spec.ports[0].port", "Required value"}}},
        Case{"ProtocolUnsupported",
             {{"/spec/ports/0/protocol", "HTTP"}},
             {{"spec.ports[0].protocol", "Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\""}}},
        Case{"UnnamedPortAmongSeveral", {{"/spec/ports/0/name", removed()}}, {{"spec.ports[0].name", "Required value"}}},
        Case{"DuplicatePortName", {{"/spec/ports/1/name", "http"}}, {{"spec.ports[1].name", "Duplicate value: \"http\""}}},
        Case{"DuplicatePortAndProtocol",
             {{"/spec/ports/1/port", 8080}},
             {{"spec.ports[1]", "Duplicate value: {\"port\":8080,\"protocol\":\"TCP\"}"}}},
        Case{"PortNameUppercase", {{"/spec/ports/0/name", "HTTP"}}, {{"spec.ports[0].name", kDns1123Label}}},
        Case{"TargetPortNameUppercase",
             {{"/spec/ports/1/targetPort", "GRPC"}},
             {{"spec.ports[1].targetPort", "must contain only lowercase alphanumeric characters or '-' (e.g. 'http')"}}},
        Case{"TargetPortTooLarge", {{"/spec/ports/1/targetPort", 70000}}, {{"spec.ports[1].targetPort", "must be between 1 and 65535, inclusive"}}},
        Case{"TargetPortBoolean", {{"/spec/ports/1/targetPort", true}}, {{"spec.ports[1].targetPort", "must be of type integer or string"}}},
        Case{"TypeUnsupported",
             {{"/spec/type", "Ingress"}},
             {{"spec.type", "Unsupported value: \"Ingress\": supported values: \"ClusterIP\", \"NodePort\", \"LoadBalancer\", \"ExternalName\""}}},
        Case{"NoPorts", {{"/spec/ports", json::array()}}, {{"spec.ports", "Required value"}}},
        Case{"ExternalNameMissing", {{"/spec/type", "ExternalName"}}, {{"spec.externalName", "Required value"}}},
        Case{"SelectorValueInvalid",
             {{"/spec/selector/app", "-x"}},
             {{"spec.selector[app]",
               "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
               "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}}},
        Case{"ClusterIPInvalid", {{"/spec/clusterIP", "10.0.0"}}, {{"spec.clusterIP", "must be empty, 'None', or a valid IP address"}}},
        Case{"UnknownSpecField", {{"/spec/loadBalancer", true}}, {{"spec.loadBalancer", "unknown field"}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// EndpointSlice

json validSlice() {
  return yaml(R"y(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-abc
  namespace: default
  labels:
    kubernetes.io/service-name: backend
addressType: IPv4
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-1
  zone: a
- addresses: [10.0.0.2]
ports:
- name: http
  port: 8080
)y");
}

TEST(EndpointSliceDefaults, PortProtocolTCP) {
  EXPECT_EQ(defaulted("EndpointSlice", validSlice())["ports"], yaml("[{name: http, port: 8080, protocol: TCP}]"));
}

TEST(EndpointSliceValidation, AcceptsValidSlices) {
  EXPECT_THAT(errorsOf("EndpointSlice", validSlice()), IsEmpty());
  EXPECT_THAT(errorsOf("EndpointSlice", edited(validSlice(), {{"/addressType", "IPv6"},
                                                              {"/endpoints", yaml("[{addresses: ['fd00::1']}]")}})),
              IsEmpty());
  EXPECT_THAT(errorsOf("EndpointSlice", edited(validSlice(), {{"/addressType", "FQDN"},
                                                              {"/endpoints", yaml("[{addresses: [backend.example.com]}]")}})),
              IsEmpty());
}

class EndpointSliceRejects : public ::testing::TestWithParam<Case> {};
TEST_P(EndpointSliceRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("EndpointSlice", edited(validSlice(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, EndpointSliceRejects,
    ::testing::Values(
        Case{"MissingAddressType", {{"/addressType", removed()}}, {{"addressType", "Required value"}}},
        Case{"AddressTypeUnsupported",
             {{"/addressType", "IP"}},
             {{"addressType", "Unsupported value: \"IP\": supported values: \"IPv4\", \"IPv6\", \"FQDN\""}}},
        Case{"NotAnIPv4Address", {{"/endpoints/0/addresses/0", "fd00::1"}}, {{"endpoints[0].addresses[0]", "must be a valid IPv4 address"}}},
        Case{"NotAnIPv6Address", {{"/addressType", "IPv6"}}, {{"endpoints[0].addresses[0]", "must be a valid IPv6 address"},
                                                             {"endpoints[1].addresses[0]", "must be a valid IPv6 address"}}},
        Case{"EndpointWithoutAddresses", {{"/endpoints/1/addresses", removed()}}, {{"endpoints[1].addresses", "Required value"}}},
        Case{"EndpointWithNoAddress", {{"/endpoints/1/addresses", json::array()}}, {{"endpoints[1].addresses", "should have at least 1 items"}}},
        Case{"ReadyNotBoolean", {{"/endpoints/0/conditions/ready", "yes"}}, {{"endpoints[0].conditions.ready", "must be of type boolean"}}},
        Case{"DuplicatePortName", {{"/ports/-", yaml("{name: http, port: 9000}")}}, {{"ports[1].name", "Duplicate value: \"http\""}}},
        Case{"PortTooLarge", {{"/ports/0/port", 70000}}, {{"ports[0].port", "must be between 0 and 65535, inclusive"}}},
        Case{"SpecIsUnknown", {{"/spec", json::object()}}, {{"spec", "unknown field"}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// Secret

json tlsSecret() {
  return yaml(R"y(
apiVersion: v1
kind: Secret
metadata:
  name: cert
  namespace: default
type: kubernetes.io/tls
data:
  tls.crt: Y2VydA==
  tls.key: a2V5
)y");
}

TEST(SecretDefaults, TypeOpaque) {
  EXPECT_EQ(defaulted("Secret", yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}}")),
            yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque}"));
}

TEST(SecretDefaults, StringDataIsMergedIntoData) {
  EXPECT_EQ(defaulted("Secret", yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: eA==, b: eA==}, "
                                     "stringData: {b: hi, c: abc, d: ''}}")),
            yaml("{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque, data: {a: eA==, b: aGk=, c: YWJj, d: ''}}"));
}

TEST(SecretValidation, AcceptsTlsSecret) { EXPECT_THAT(errorsOf("Secret", tlsSecret()), IsEmpty()); }

TEST(SecretValidation, AcceptsTlsSecretFromStringData) {
  EXPECT_THAT(errorsOf("Secret", edited(tlsSecret(), {{"/data", removed()}, {"/stringData", yaml("{tls.crt: c, tls.key: k}")}})),
              IsEmpty());
}

class SecretRejects : public ::testing::TestWithParam<Case> {};
TEST_P(SecretRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("Secret", edited(tlsSecret(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, SecretRejects,
    ::testing::Values(
        Case{"TlsWithoutKey", {{"/data/tls.key", removed()}}, {{"data[tls.key]", "Required value"}}},
        Case{"TlsWithoutData", {{"/data", removed()}}, {{"data[tls.crt]", "Required value"}, {"data[tls.key]", "Required value"}}},
        Case{"DataNotBase64", {{"/data/tls.key", "not base64!"}}, {{"data[tls.key]", "illegal base64 data at input byte 3"}}},
        Case{"DataBadPadding", {{"/data/tls.key", "a2V"}}, {{"data[tls.key]", "illegal base64 data at input byte 0"}}},
        Case{"DataBadPaddingAfterFullQuantum", {{"/data/tls.key", "a2V5a"}}, {{"data[tls.key]", "illegal base64 data at input byte 4"}}},
        Case{"KeyWithSlash", {{"/data/a~1b", "eA=="}}, {{"data[a/b]", kConfigKey}}},
        Case{"DataValueNotString", {{"/data/tls.key", 5}}, {{"data[tls.key]", "must be of type string"}}},
        Case{"BasicAuthWithoutCredentials",
             {{"/type", "kubernetes.io/basic-auth"}, {"/data", json::object()}},
             {{"data[username]", "Required value"}, {"data[password]", "Required value"}}},
        Case{"UnknownField", {{"/spec", json::object()}}, {{"spec", "unknown field"}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// ConfigMap

json validConfigMap() {
  return yaml(R"y(
apiVersion: v1
kind: ConfigMap
metadata:
  name: ca
  namespace: default
data:
  ca.crt: "-----BEGIN CERTIFICATE-----"
binaryData:
  blob: AAEC
)y");
}

TEST(ConfigMapDefaults, NothingIsAdded) { EXPECT_EQ(defaulted("ConfigMap", validConfigMap()), validConfigMap()); }

TEST(ConfigMapValidation, AcceptsValidConfigMap) { EXPECT_THAT(errorsOf("ConfigMap", validConfigMap()), IsEmpty()); }

class ConfigMapRejects : public ::testing::TestWithParam<Case> {};
TEST_P(ConfigMapRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("ConfigMap", edited(validConfigMap(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigMapRejects,
    ::testing::Values(
        Case{"KeyWithSpace", {{"/data/a b", "x"}}, {{"data[a b]", kConfigKey}}},
        Case{"KeyInDataAndBinaryData",
             {{"/binaryData/ca.crt", "AAEC"}},
             {{"data[ca.crt]", "Invalid value: \"ca.crt\": duplicate of key present in binaryData"}}},
        Case{"BinaryDataNotBase64", {{"/binaryData/blob", "A"}}, {{"binaryData[blob]", "illegal base64 data at input byte 0"}}},
        Case{"DataValueNotString", {{"/data/n", 1}}, {{"data[n]", "must be of type string"}}},
        Case{"ImmutableNotBoolean", {{"/immutable", "yes"}}, {{"immutable", "must be of type boolean"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
