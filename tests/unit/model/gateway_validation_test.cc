// GatewayClass, Gateway and ListenerSet: every default, and rejections with their exact errors.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const char* kListenerPattern =
    "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'";
const char* kHostnamePattern =
    "should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'";

json pending(std::initializer_list<const char*> types) {
  json conditions = json::array();
  for (const char* t : types) {
    conditions.push_back({{"lastTransitionTime", "1970-01-01T00:00:00Z"},
                          {"message", "Waiting for controller"},
                          {"reason", "Pending"},
                          {"status", "Unknown"},
                          {"type", t}});
  }
  return {{"conditions", conditions}};
}

// ---------------------------------------------------------------------------------------------
// GatewayClass

json validGatewayClass() {
  return yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: gatehouse
spec:
  controllerName: gatehouse.dev/gateway-controller
)");
}

TEST(GatewayClassDefaults, AddsPendingStatusAndClearsNamespace) {
  json in = edited(validGatewayClass(), {{"/metadata/namespace", "ignored"}});
  json want = validGatewayClass();
  want["status"] = pending({"Accepted"});
  EXPECT_EQ(defaulted("GatewayClass", in), want);
}

TEST(GatewayClassValidation, AcceptsV1AndV1beta1) {
  EXPECT_THAT(errorsOf("GatewayClass", validGatewayClass()), IsEmpty());
  EXPECT_THAT(errorsOf("GatewayClass", edited(validGatewayClass(), {{"/apiVersion", "gateway.networking.k8s.io/v1beta1"}})),
              IsEmpty());
}

TEST(GatewayClassValidation, AcceptsParametersRefAndDescription) {
  json gc = edited(validGatewayClass(), {{"/spec/description", "the Gatehouse class"},
                                         {"/spec/parametersRef", {{"group", ""}, {"kind", "ConfigMap"}, {"name", "cfg"}, {"namespace", "gh"}}}});
  EXPECT_THAT(errorsOf("GatewayClass", gc), IsEmpty());
}

class GatewayClassRejects : public ::testing::TestWithParam<Case> {};
TEST_P(GatewayClassRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("GatewayClass", edited(validGatewayClass(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, GatewayClassRejects,
    ::testing::Values(
        Case{"MissingControllerName", {{"/spec/controllerName", removed()}}, {{"spec.controllerName", "Required value"}}},
        Case{"ControllerNameWithoutPath",
             {{"/spec/controllerName", "gatehouse"}},
             {{"spec.controllerName",
               "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/"
               "[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'"}}},
        Case{"DescriptionTooLong",
             {{"/spec/description", std::string(65, 'x')}},
             {{"spec.description", "Too long: may not be more than 64 bytes"}}},
        Case{"ParametersRefWithoutKind",
             {{"/spec/parametersRef", {{"group", "example.com"}, {"name", "p"}}}},
             {{"spec.parametersRef.kind", "Required value"}}},
        Case{"MissingSpec", {{"/spec", removed()}}, {{"spec", "Required value"}}},
        Case{"UnknownSpecField", {{"/spec/extra", 1}}, {{"spec.extra", "unknown field"}}},
        Case{"UnservedVersion",
             {{"/apiVersion", "gateway.networking.k8s.io/v1alpha2"}},
             {{"apiVersion",
               "Unsupported value: \"gateway.networking.k8s.io/v1alpha2\": supported values: "
               "\"gateway.networking.k8s.io/v1\", \"gateway.networking.k8s.io/v1beta1\""}}},
        Case{"WrongKind", {{"/kind", "Gateway"}}, {{"kind", "Unsupported value: \"Gateway\": supported values: \"GatewayClass\""}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// Gateway

json validGateway() {
  return yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  gatewayClassName: gatehouse
  listeners:
  - name: http
    port: 80
    protocol: HTTP
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    tls:
      certificateRefs:
      - name: cert
)");
}

TEST(GatewayDefaults, ListenersGetAllowedRoutesSameAndTlsTerminateWithSecretRefs) {
  json want = yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  gatewayClassName: gatehouse
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
  - name: https
    port: 443
    protocol: HTTPS
    hostname: "*.example.com"
    allowedRoutes:
      namespaces:
        from: Same
    tls:
      mode: Terminate
      certificateRefs:
      - name: cert
        group: ""
        kind: Secret
)");
  want["status"] = pending({"Accepted", "Programmed"});
  EXPECT_EQ(defaulted("Gateway", validGateway()), want);
}

TEST(GatewayDefaults, AddressTypeIsIPAddress) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/addresses", yaml("[{value: 10.0.0.1}]")}}));
  EXPECT_EQ(gw["spec"]["addresses"], yaml("[{type: IPAddress, value: 10.0.0.1}]"));
}

// Found by the manifest fuzzer: list rules used to read "port" from a non-object element and throw.
TEST(GatewayValidation, ListenerThatIsNotAnObjectIsAFieldError) {
  json gw = yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gatehouse
  listeners: [j, {name: http, port: 80, protocol: HTTP}]
)");
  auto errors = errorsOf("Gateway", gw);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].field, "spec.listeners[0]");
  EXPECT_EQ(errors[0].reason, "must be of type object");
}

TEST(GatewayDefaults, AllowedListenersFromNone) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/allowedListeners", json::object()}}));
  EXPECT_EQ(gw["spec"]["allowedListeners"], yaml("{namespaces: {from: None}}"));
}

TEST(GatewayDefaults, AllowedRoutesKindGroupAndNamespacesFrom) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/listeners/0/allowedRoutes", yaml("{kinds: [{kind: HTTPRoute}]}")}}));
  EXPECT_EQ(gw["spec"]["listeners"][0]["allowedRoutes"],
            yaml("{kinds: [{group: gateway.networking.k8s.io, kind: HTTPRoute}], namespaces: {from: Same}}"));
}

TEST(GatewayDefaults, ExplicitValuesAreKept) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/listeners/0/allowedRoutes", yaml("{namespaces: {from: All}}")}}));
  EXPECT_EQ(gw["spec"]["listeners"][0]["allowedRoutes"], yaml("{namespaces: {from: All}}"));
}

TEST(GatewayDefaults, NullMembersArePrunedThenDefaulted) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/listeners/0/allowedRoutes", nullptr},
                                                         {"/spec/listeners/0/hostname", nullptr}}));
  EXPECT_EQ(gw["spec"]["listeners"][0], yaml("{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}"));
}

TEST(GatewayDefaults, TlsFrontendValidationModeAndBackendClientCertificate) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/spec/tls", yaml(R"(
backend:
  clientCertificateRef: {name: client}
frontend:
  default:
    validation:
      caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
  perPort:
  - port: 443
    tls:
      validation:
        caCertificateRefs: [{group: "", kind: ConfigMap, name: ca2}]
)")}}));
  EXPECT_EQ(gw["spec"]["tls"], yaml(R"(
backend:
  clientCertificateRef: {group: "", kind: Secret, name: client}
frontend:
  default:
    validation:
      caCertificateRefs: [{group: "", kind: ConfigMap, name: ca}]
      mode: AllowValidOnly
  perPort:
  - port: 443
    tls:
      validation:
        caCertificateRefs: [{group: "", kind: ConfigMap, name: ca2}]
        mode: AllowValidOnly
)"));
}

TEST(GatewayDefaults, ExistingStatusIsKept) {
  json gw = defaulted("Gateway", edited(validGateway(), {{"/status", {{"addresses", json::array()}}}}));
  EXPECT_EQ(gw["status"], json({{"addresses", json::array()}}));
}

TEST(GatewayValidation, AcceptsValidGateway) { EXPECT_THAT(errorsOf("Gateway", validGateway()), IsEmpty()); }

TEST(GatewayValidation, AcceptsV1beta1) {
  EXPECT_THAT(errorsOf("Gateway", edited(validGateway(), {{"/apiVersion", "gateway.networking.k8s.io/v1beta1"}})), IsEmpty());
}

TEST(GatewayValidation, AcceptsEveryOptionalPart) {
  json gw = edited(validGateway(), {
      {"/spec/addresses", yaml("[{type: IPAddress, value: '10.0.0.1'}, {type: IPAddress, value: 'fd00::1'}, "
                               "{type: Hostname, value: gw.example.com}, {type: example.com/custom, value: anything}]")},
      {"/spec/allowedListeners", yaml("{namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}")},
      {"/spec/infrastructure", yaml("{labels: {app: gw, example.com/tier: edge}, annotations: {note: 'any value'}, "
                                    "parametersRef: {group: example.com, kind: Params, name: p}}")},
      {"/spec/listeners/-", yaml("{name: tls, port: 8443, protocol: TLS, tls: {mode: Passthrough}}")},
      {"/spec/listeners/-", yaml("{name: tcp, port: 9000, protocol: TCP}")},
      {"/spec/listeners/-", yaml("{name: opts, port: 8444, protocol: HTTPS, tls: {options: {example.com/k: v}}}")},
      {"/spec/listeners/-", yaml("{name: custom, port: 9001, protocol: example.com/Custom}")},
      {"/spec/listeners/0/allowedRoutes", yaml("{kinds: [{kind: HTTPRoute}], namespaces: {from: All}}")},
  });
  EXPECT_THAT(errorsOf("Gateway", gw), IsEmpty());
}

TEST(GatewayValidation, ListenersMayShareAPortWithDifferentHostnames) {
  json gw = edited(validGateway(), {{"/spec/listeners/-", yaml("{name: http2, port: 80, protocol: HTTP, hostname: a.example.com}")}});
  EXPECT_THAT(errorsOf("Gateway", gw), IsEmpty());
}

json manyListeners(size_t n) {
  json listeners = json::array();
  for (size_t i = 0; i < n; ++i) {
    listeners.push_back({{"name", "l" + std::to_string(i)}, {"port", 1000 + i}, {"protocol", "HTTP"}});
  }
  return listeners;
}

TEST(GatewayValidation, AcceptsSixtyFourListeners) {
  EXPECT_THAT(errorsOf("Gateway", edited(validGateway(), {{"/spec/listeners", manyListeners(64)}})), IsEmpty());
}

class GatewayRejects : public ::testing::TestWithParam<Case> {};
TEST_P(GatewayRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("Gateway", edited(validGateway(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Schema, GatewayRejects,
    ::testing::Values(
        Case{"MissingSpec", {{"/spec", removed()}}, {{"spec", "Required value"}}},
        Case{"MissingGatewayClassName", {{"/spec/gatewayClassName", removed()}}, {{"spec.gatewayClassName", "Required value"}}},
        Case{"EmptyGatewayClassName", {{"/spec/gatewayClassName", ""}}, {{"spec.gatewayClassName", "should be at least 1 chars long"}}},
        Case{"GatewayClassNameTooLong",
             {{"/spec/gatewayClassName", std::string(254, 'a')}},
             {{"spec.gatewayClassName", "Too long: may not be more than 253 bytes"}}},
        Case{"MissingListeners", {{"/spec/listeners", removed()}}, {{"spec.listeners", "Required value"}}},
        Case{"NoListeners", {{"/spec/listeners", json::array()}}, {{"spec.listeners", "should have at least 1 items"}}},
        Case{"SixtyFiveListeners",
             {{"/spec/listeners", manyListeners(65)}},
             {{"spec.listeners", "Too many: 65: must have at most 64 items"}}},
        Case{"ListenerWithoutName", {{"/spec/listeners/0/name", removed()}}, {{"spec.listeners[0].name", "Required value"}}},
        Case{"ListenerWithoutPort", {{"/spec/listeners/0/port", removed()}}, {{"spec.listeners[0].port", "Required value"}}},
        Case{"ListenerWithoutProtocol", {{"/spec/listeners/0/protocol", removed()}}, {{"spec.listeners[0].protocol", "Required value"}}},
        Case{"PortZero", {{"/spec/listeners/0/port", 0}}, {{"spec.listeners[0].port", "should be greater than or equal to 1"}}},
        Case{"PortTooLarge", {{"/spec/listeners/0/port", 65536}}, {{"spec.listeners[0].port", "should be less than or equal to 65535"}}},
        Case{"PortAsString", {{"/spec/listeners/0/port", "80"}}, {{"spec.listeners[0].port", "must be of type integer"}}},
        Case{"ListenerNameUppercase", {{"/spec/listeners/0/name", "Http"}}, {{"spec.listeners[0].name", kListenerPattern}}},
        Case{"HostnameUppercase", {{"/spec/listeners/1/hostname", "Example.com"}}, {{"spec.listeners[1].hostname", kHostnamePattern}}},
        Case{"HostnameWildcardInside", {{"/spec/listeners/1/hostname", "a.*.com"}}, {{"spec.listeners[1].hostname", kHostnamePattern}}},
        Case{"ProtocolWithSpace",
             {{"/spec/listeners/0/protocol", "HT TP"}},
             {{"spec.listeners[0].protocol",
               "should match '^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
               "[a-z0-9])?)*\\/[A-Za-z0-9]+$'"}}},
        Case{"UnknownListenerField", {{"/spec/listeners/0/foo", 1}}, {{"spec.listeners[0].foo", "unknown field"}}},
        Case{"UnknownTopLevelField", {{"/extra", 1}}, {{"extra", "unknown field"}}},
        Case{"ListenersNotAList", {{"/spec/listeners", "http"}}, {{"spec.listeners", "must be of type array"}}},
        Case{"FromUnsupported",
             {{"/spec/listeners/0/allowedRoutes", yaml("{namespaces: {from: Other}}")}},
             {{"spec.listeners[0].allowedRoutes.namespaces.from",
               "Unsupported value: \"Other\": supported values: \"All\", \"Selector\", \"Same\""}}},
        Case{"RouteKindWithoutKind",
             {{"/spec/listeners/0/allowedRoutes", yaml("{kinds: [{group: gateway.networking.k8s.io}]}")}},
             {{"spec.listeners[0].allowedRoutes.kinds[0].kind", "Required value"}}},
        Case{"NineRouteKinds",
             {{"/spec/listeners/0/allowedRoutes/kinds", json::array({{{"kind", "A"}}, {{"kind", "B"}}, {{"kind", "C"}}, {{"kind", "D"}},
                                                                    {{"kind", "E"}}, {{"kind", "F"}}, {{"kind", "G"}}, {{"kind", "H"}},
                                                                    {{"kind", "I"}}})}},
             {{"spec.listeners[0].allowedRoutes.kinds", "Too many: 9: must have at most 8 items"}}},
        Case{"TlsModeUnsupported",
             {{"/spec/listeners/1/tls/mode", "Reencrypt"}},
             {{"spec.listeners[1].tls.mode", "Unsupported value: \"Reencrypt\": supported values: \"Terminate\", \"Passthrough\""},
              {"spec.listeners", "tls mode must be Terminate for protocol HTTPS"}}},
        Case{"CertificateRefNamespaceInvalid",
             {{"/spec/listeners/1/tls/certificateRefs/0/namespace", "Bad_NS"}},
             {{"spec.listeners[1].tls.certificateRefs[0].namespace", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"}}},
        Case{"CertificateRefWithoutName",
             {{"/spec/listeners/1/tls/certificateRefs/0/name", removed()}},
             {{"spec.listeners[1].tls.certificateRefs[0].name", "Required value"}}},
        Case{"TlsOptionValueTooLong",
             {{"/spec/listeners/1/tls/options", {{"k", std::string(4097, 'v')}}}},
             {{"spec.listeners[1].tls.options[k]", "Too long: may not be more than 4096 bytes"}}},
        Case{"MetadataNameUppercase",
             {{"/metadata/name", "Gw"}},
             {{"metadata.name",
               "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
               "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}}},
        Case{"MetadataNameMissing", {{"/metadata/name", removed()}}, {{"metadata.name", "Required value: name or generateName is required"}}},
        Case{"MetadataNamespaceInvalid",
             {{"/metadata/namespace", "a.b"}},
             {{"metadata.namespace",
               "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
               "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}}},
        Case{"MetadataUnknownField", {{"/metadata/color", "red"}}, {{"metadata.color", "unknown field"}}},
        Case{"MissingMetadata", {{"/metadata", removed()}}, {{"metadata", "Required value"}}}),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    ListenerRules, GatewayRejects,
    ::testing::Values(
        Case{"TlsOnHttpListener",
             {{"/spec/listeners/0/tls", yaml("{certificateRefs: [{name: cert}]}")}},
             {{"spec.listeners", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"}}},
        Case{"TlsOnTcpListener",
             {{"/spec/listeners/0/protocol", "TCP"}, {"/spec/listeners/0/tls", yaml("{mode: Passthrough}")}},
             {{"spec.listeners", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"}}},
        Case{"HttpsPassthrough",
             {{"/spec/listeners/1/tls/mode", "Passthrough"}},
             {{"spec.listeners", "tls mode must be Terminate for protocol HTTPS"}}},
        Case{"TlsListenerWithoutTls",
             {{"/spec/listeners/-", yaml("{name: tls, port: 8443, protocol: TLS}")}},
             {{"spec.listeners", "tls mode must be set for protocol TLS"}}},
        Case{"HostnameOnTcpListener",
             {{"/spec/listeners/-", yaml("{name: tcp, port: 9000, protocol: TCP, hostname: a.example.com}")}},
             {{"spec.listeners", "hostname must not be specified for protocols ['TCP', 'UDP']"}}},
        Case{"HostnameOnUdpListener",
             {{"/spec/listeners/-", yaml("{name: udp, port: 9000, protocol: UDP, hostname: a.example.com}")}},
             {{"spec.listeners", "hostname must not be specified for protocols ['TCP', 'UDP']"}}},
        Case{"DuplicateListenerName",
             {{"/spec/listeners/1/name", "http"}},
             {{"spec.listeners[1]", "Duplicate value: {\"name\":\"http\"}"},
              {"spec.listeners", "Listener name must be unique within the Gateway"}}},
        Case{"DuplicatePortProtocolHostname",
             {{"/spec/listeners/-", yaml("{name: http2, port: 80, protocol: HTTP}")}},
             {{"spec.listeners", "Combination of port, protocol and hostname must be unique for each listener"}}},
        Case{"TerminateWithoutCertificatesOrOptions",
             {{"/spec/listeners/1/tls", json::object()}},
             {{"spec.listeners[1].tls", "certificateRefs or options must be specified when mode is Terminate"}}}),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    Addresses, GatewayRejects,
    ::testing::Values(
        Case{"IPAddressNotAnIP",
             {{"/spec/addresses", yaml("[{value: '10.0.0'}]")}},
             {{"spec.addresses[0].value", "must be of type ipv4 or ipv6"}}},
        Case{"DuplicateIPAddress",
             {{"/spec/addresses", yaml("[{value: 10.0.0.1}, {type: IPAddress, value: 10.0.0.1}]")}},
             {{"spec.addresses", "IPAddress values must be unique"}}},
        Case{"DuplicateHostname",
             {{"/spec/addresses", yaml("[{type: Hostname, value: a.example.com}, {type: Hostname, value: a.example.com}]")}},
             {{"spec.addresses", "Hostname values must be unique"}}},
        Case{"InvalidHostname",
             {{"/spec/addresses", yaml("[{type: Hostname, value: -a.example.com}]")}},
             {{"spec.addresses[0]",
               "Hostname value must be empty or contain only valid characters (matching "
               "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)"}}},
        Case{"InvalidType",
             {{"/spec/addresses", yaml("[{type: 'bad type', value: x}]")}},
             {{"spec.addresses[0].type",
               "should match '^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
               "[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'"}}},
        Case{"AllowedListenersFromUnsupported",
             {{"/spec/allowedListeners", yaml("{namespaces: {from: Everywhere}}")}},
             {{"spec.allowedListeners.namespaces.from",
               "Unsupported value: \"Everywhere\": supported values: \"All\", \"Selector\", \"Same\", \"None\""}}}),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    Infrastructure, GatewayRejects,
    ::testing::Values(
        Case{"LabelKeyInvalid",
             {{"/spec/infrastructure", yaml("{labels: {'-bad': x}}")}},
             {{"spec.infrastructure.labels",
               "Label keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of "
               "up to 63 characters."}}},
        Case{"LabelValueInvalid",
             {{"/spec/infrastructure", yaml("{labels: {app: '-x'}}")}},
             {{"spec.infrastructure.labels[app]", "should match '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$'"}}},
        Case{"AnnotationKeyPrefixTooLong",
             {{"/spec/infrastructure/annotations", {{std::string(253, 'a') + "/x", "v"}}}},
             {{"spec.infrastructure.annotations",
               "If specified, the annotation key's prefix must be a DNS subdomain not longer than 253 characters in total."}}},
        Case{"NineLabels",
             {{"/spec/infrastructure", yaml("{labels: {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x}}")}},
             {{"spec.infrastructure.labels", "Too many: 9: must have at most 8 items"}}},
        Case{"ParametersRefWithoutGroup",
             {{"/spec/infrastructure", yaml("{parametersRef: {kind: Params, name: p}}")}},
             {{"spec.infrastructure.parametersRef.group", "Required value"}}}),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    FrontendTls, GatewayRejects,
    ::testing::Values(
        Case{"FrontendWithoutDefault",
             {{"/spec/tls", yaml("{frontend: {}}")}},
             {{"spec.tls.frontend.default", "Required value"}}},
        Case{"ValidationWithoutCaRefs",
             {{"/spec/tls", yaml("{frontend: {default: {validation: {caCertificateRefs: []}}}}")}},
             {{"spec.tls.frontend.default.validation.caCertificateRefs", "should have at least 1 items"}}},
        Case{"CaRefWithoutKind",
             {{"/spec/tls", yaml("{frontend: {default: {validation: {caCertificateRefs: [{group: '', name: ca}]}}}}")}},
             {{"spec.tls.frontend.default.validation.caCertificateRefs[0].kind", "Required value"}}},
        Case{"ValidationModeUnsupported",
             {{"/spec/tls", yaml("{frontend: {default: {validation: {mode: Always, caCertificateRefs: [{group: '', kind: ConfigMap, name: ca}]}}}}")}},
             {{"spec.tls.frontend.default.validation.mode",
               "Unsupported value: \"Always\": supported values: \"AllowValidOnly\", \"AllowInsecureFallback\""}}},
        Case{"DuplicatePerPort",
             {{"/spec/tls", yaml(R"(
frontend:
  default: {}
  perPort:
  - {port: 443, tls: {}}
  - {port: 443, tls: {}}
)")}},
             {{"spec.tls.frontend.perPort[1]", "Duplicate value: {\"port\":443}"},
              {"spec.tls.frontend.perPort", "Port for TLS configuration must be unique within the Gateway"}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// ListenerSet

json validListenerSet() {
  return yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata:
  name: extra
  namespace: default
spec:
  parentRef:
    name: gw
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
)");
}

TEST(ListenerSetDefaults, ParentRefGroupKindAndListenerDefaults) {
  json want = yaml(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata:
  name: extra
  namespace: default
spec:
  parentRef:
    group: gateway.networking.k8s.io
    kind: Gateway
    name: gw
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Same
)");
  want["status"] = pending({"Accepted", "Programmed"});
  EXPECT_EQ(defaulted("ListenerSet", validListenerSet()), want);
}

TEST(ListenerSetValidation, AcceptsValidListenerSet) {
  EXPECT_THAT(errorsOf("ListenerSet", validListenerSet()), IsEmpty());
}

class ListenerSetRejects : public ::testing::TestWithParam<Case> {};
TEST_P(ListenerSetRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("ListenerSet", edited(validListenerSet(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, ListenerSetRejects,
    ::testing::Values(
        Case{"MissingParentRef", {{"/spec/parentRef", removed()}}, {{"spec.parentRef", "Required value"}}},
        Case{"ParentRefWithoutName", {{"/spec/parentRef/name", removed()}}, {{"spec.parentRef.name", "Required value"}}},
        Case{"ParentRefSectionNameUnknown", {{"/spec/parentRef/sectionName", "http"}}, {{"spec.parentRef.sectionName", "unknown field"}}},
        Case{"DuplicateListener",
             {{"/spec/listeners/-", yaml("{name: http2, port: 8080, protocol: HTTP}")}},
             {{"spec.listeners", "Combination of port, protocol and hostname must be unique for each listener"}}},
        Case{"TlsOnHttp",
             {{"/spec/listeners/0/tls", yaml("{certificateRefs: [{name: c}]}")}},
             {{"spec.listeners", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"}}},
        Case{"NoListeners", {{"/spec/listeners", json::array()}}, {{"spec.listeners", "should have at least 1 items"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
