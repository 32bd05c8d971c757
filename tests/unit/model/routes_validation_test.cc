// GRPCRoute, TCPRoute, UDPRoute and TLSRoute: every default, and rejections with exact errors.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

// ---------------------------------------------------------------------------------------------
// GRPCRoute

json validGRPCRoute() {
  return yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: grpc
  namespace: default
spec:
  parentRefs:
  - name: gw
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: com.example.Echo, method: Ping}
    backendRefs:
    - name: echo
      port: 9000
)y");
}

TEST(GRPCRouteDefaults, MethodTypeExactAndRefs) {
  json want = yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: grpc
  namespace: default
spec:
  parentRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
  hostnames: [grpc.example.com]
  rules:
  - matches:
    - method: {service: com.example.Echo, method: Ping, type: Exact}
    backendRefs:
    - {group: "", kind: Service, name: echo, port: 9000, weight: 1}
)y");
  EXPECT_EQ(defaulted("GRPCRoute", validGRPCRoute()), want);
}

TEST(GRPCRouteDefaults, NoRuleOrMatchDefaults) {
  json route = defaulted("GRPCRoute", edited(validGRPCRoute(), {{"/spec", yaml("{rules: [{backendRefs: [{name: s, port: 1}]}]}")}}));
  EXPECT_EQ(route["spec"], yaml("{rules: [{backendRefs: [{group: '', kind: Service, name: s, port: 1, weight: 1}]}]}"));
  EXPECT_EQ(defaulted("GRPCRoute", edited(validGRPCRoute(), {{"/spec", json::object()}}))["spec"], json::object());
}

TEST(GRPCRouteDefaults, HeaderMatchTypeAndMirrorDefaults) {
  json route = defaulted("GRPCRoute", edited(validGRPCRoute(), {
      {"/spec/rules/0/matches/0/headers", yaml("[{name: x, value: y}]")},
      {"/spec/rules/0/filters", yaml("[{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 1}, fraction: {numerator: 1}}}]")}}));
  EXPECT_EQ(route["spec"]["rules"][0]["matches"][0]["headers"], yaml("[{name: x, type: Exact, value: y}]"));
  EXPECT_EQ(route["spec"]["rules"][0]["filters"][0]["requestMirror"],
            yaml("{backendRef: {group: '', kind: Service, name: m, port: 1}, fraction: {numerator: 1, denominator: 100}}"));
}

TEST(GRPCRouteValidation, AcceptsValidRoute) { EXPECT_THAT(errorsOf("GRPCRoute", validGRPCRoute()), IsEmpty()); }

TEST(GRPCRouteValidation, AcceptsServiceOnlyMethodOnlyAndRegex) {
  json route = edited(validGRPCRoute(), {{"/spec/rules/0/matches", yaml(R"y(
- method: {service: .Echo}
- method: {method: Ping}
- method: {type: RegularExpression, service: "foo.*", method: "[a-z]+"}
- headers: [{name: x-a, value: b, type: RegularExpression}]
)y")}});
  EXPECT_THAT(errorsOf("GRPCRoute", route), IsEmpty());
}

class GRPCRouteRejects : public ::testing::TestWithParam<Case> {};
TEST_P(GRPCRouteRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("GRPCRoute", edited(validGRPCRoute(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, GRPCRouteRejects,
    ::testing::Values(
        Case{"MethodMatchWithoutServiceOrMethod",
             {{"/spec/rules/0/matches/0/method", json::object()}},
             {{"spec.rules[0].matches[0].method", "One or both of 'service' or 'method' must be specified"}}},
        Case{"InvalidService",
             {{"/spec/rules/0/matches/0/method/service", "com/example"}},
             {{"spec.rules[0].matches[0].method",
               "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)"}}},
        Case{"InvalidMethod",
             {{"/spec/rules/0/matches/0/method/method", "Ping.Pong"}},
             {{"spec.rules[0].matches[0].method", "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)"}}},
        Case{"MethodTypeUnsupported",
             {{"/spec/rules/0/matches/0/method/type", "Prefix"}},
             {{"spec.rules[0].matches[0].method.type", "Unsupported value: \"Prefix\": supported values: \"Exact\", \"RegularExpression\""}}},
        Case{"ServiceTooLong",
             {{"/spec/rules/0/matches/0/method/service", std::string(1025, 'a')}},
             {{"spec.rules[0].matches[0].method.service", "Too long: may not be more than 1024 bytes"}}},
        Case{"HttpOnlyFilterType",
             {{"/spec/rules/0/filters", yaml("[{type: URLRewrite}]")}},
             {{"spec.rules[0].filters[0].type",
               "Unsupported value: \"URLRewrite\": supported values: \"ResponseHeaderModifier\", \"RequestHeaderModifier\", "
               "\"RequestMirror\", \"ExtensionRef\""}}},
        Case{"HttpOnlyFilterMember",
             {{"/spec/rules/0/filters", yaml("[{type: ExtensionRef, extensionRef: {group: g, kind: K, name: n}, urlRewrite: {}}]")}},
             {{"spec.rules[0].filters[0].urlRewrite", "unknown field"}}},
        Case{"RepeatedHeaderModifier",
             {{"/spec/rules/0/filters", yaml("[{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [a]}}, "
                                            "{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [b]}}]")}},
             {{"spec.rules[0].filters", "ResponseHeaderModifier filter cannot be repeated"}}},
        Case{"FilterMemberMismatch",
             {{"/spec/rules/0/filters", yaml("[{type: RequestMirror, requestHeaderModifier: {remove: [a]}}]")}},
             {{"spec.rules[0].filters[0]", "filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier"},
              {"spec.rules[0].filters[0]", "filter.requestMirror must be specified for RequestMirror filter.type"}}},
        Case{"BackendWithoutPort",
             {{"/spec/rules/0/backendRefs/0/port", removed()}},
             {{"spec.rules[0].backendRefs[0]", "Must have port for Service reference"}}},
        Case{"PathMatchIsHttpOnly",
             {{"/spec/rules/0/matches/0/path", yaml("{value: /}")}},
             {{"spec.rules[0].matches[0].path", "unknown field"}}}),
    caseName);

// ---------------------------------------------------------------------------------------------
// TCPRoute and UDPRoute (one schema)

json validL4Route(const char* kind) {
  json route = yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
metadata:
  name: l4
  namespace: default
spec:
  parentRefs:
  - name: gw
    sectionName: tcp
  rules:
  - backendRefs:
    - name: backend
      port: 9000
)y");
  route["kind"] = kind;
  return route;
}

class L4RouteTest : public ::testing::TestWithParam<const char*> {};

TEST_P(L4RouteTest, DefaultsParentAndBackendRefs) {
  json route = defaulted(GetParam(), validL4Route(GetParam()));
  EXPECT_EQ(route["spec"], yaml("{parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw, sectionName: tcp}], "
                                "rules: [{backendRefs: [{group: '', kind: Service, name: backend, port: 9000, weight: 1}]}]}"));
}

TEST_P(L4RouteTest, AcceptsValidRoute) { EXPECT_THAT(errorsOf(GetParam(), validL4Route(GetParam())), IsEmpty()); }

TEST_P(L4RouteTest, RejectsMissingRules) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/rules", removed()}})),
            (std::vector<FieldError>{{"spec.rules", "Required value"}}));
}

TEST_P(L4RouteTest, RejectsTwoRules) {
  json route = validL4Route(GetParam());
  route["spec"]["rules"].push_back(route["spec"]["rules"][0]);
  EXPECT_EQ(errorsOf(GetParam(), route), (std::vector<FieldError>{{"spec.rules", "Too many: 2: must have at most 1 items"}}));
}

TEST_P(L4RouteTest, RejectsRuleWithoutBackends) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/rules/0/backendRefs", json::array()}})),
            (std::vector<FieldError>{{"spec.rules[0].backendRefs", "should have at least 1 items"}}));
}

TEST_P(L4RouteTest, RejectsServiceBackendWithoutPort) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/rules/0/backendRefs/0/port", removed()}})),
            (std::vector<FieldError>{{"spec.rules[0].backendRefs[0]", "Must have port for Service reference"}}));
}

TEST_P(L4RouteTest, RejectsHostnames) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/hostnames", json::array({"a.example.com"})}})),
            (std::vector<FieldError>{{"spec.hostnames", "unknown field"}}));
}

TEST_P(L4RouteTest, RejectsBackendFilters) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/rules/0/backendRefs/0/filters", json::array()}})),
            (std::vector<FieldError>{{"spec.rules[0].backendRefs[0].filters", "unknown field"}}));
}

TEST_P(L4RouteTest, RejectsUnservedV1alpha2) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/apiVersion", "gateway.networking.k8s.io/v1alpha2"}})),
            (std::vector<FieldError>{{"apiVersion", "Unsupported value: \"gateway.networking.k8s.io/v1alpha2\": supported values: "
                                                    "\"gateway.networking.k8s.io/v1\""}}));
}

TEST_P(L4RouteTest, RejectsDuplicateParentSection) {
  EXPECT_EQ(errorsOf(GetParam(), edited(validL4Route(GetParam()), {{"/spec/parentRefs/-", yaml("{name: gw, sectionName: tcp}")}})),
            (std::vector<FieldError>{
                {"spec.parentRefs", "sectionName must be unique when parentRefs includes 2 or more references to the same parent"}}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, L4RouteTest, ::testing::Values("TCPRoute", "UDPRoute"));

// ---------------------------------------------------------------------------------------------
// TLSRoute

json validTLSRoute() {
  return yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata:
  name: tls
  namespace: default
spec:
  parentRefs:
  - name: gw
  hostnames: [tls.example.com, "*.wild.example.com"]
  rules:
  - backendRefs:
    - name: backend
      port: 443
)y");
}

TEST(TLSRouteDefaults, ParentAndBackendRefs) {
  json route = defaulted("TLSRoute", validTLSRoute());
  EXPECT_EQ(route["spec"]["parentRefs"], yaml("[{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]"));
  EXPECT_EQ(route["spec"]["rules"], yaml("[{backendRefs: [{group: '', kind: Service, name: backend, port: 443, weight: 1}]}]"));
}

TEST(TLSRouteValidation, AcceptsValidRoute) { EXPECT_THAT(errorsOf("TLSRoute", validTLSRoute()), IsEmpty()); }

class TLSRouteRejects : public ::testing::TestWithParam<Case> {};
TEST_P(TLSRouteRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("TLSRoute", edited(validTLSRoute(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, TLSRouteRejects,
    ::testing::Values(
        Case{"MissingHostnames", {{"/spec/hostnames", removed()}}, {{"spec.hostnames", "Required value"}}},
        Case{"NoHostnames", {{"/spec/hostnames", json::array()}}, {{"spec.hostnames", "should have at least 1 items"}}},
        Case{"IPHostname", {{"/spec/hostnames/0", "10.0.0.1"}}, {{"spec.hostnames", "Hostnames cannot contain an IP"}}},
        Case{"InvalidHostname",
             {{"/spec/hostnames/0", "-a.example.com"}},
             {{"spec.hostnames[0]", "should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"},
              {"spec.hostnames", "Hostnames must be valid based on RFC-1123"}}},
        Case{"WildcardNotFirst",
             {{"/spec/hostnames/0", "a.*.example.com"}},
             {{"spec.hostnames[0]", "should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"},
              {"spec.hostnames",
               "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123"}}},
        Case{"TwoRules",
             {{"/spec/rules/-", yaml("{backendRefs: [{name: b, port: 1}]}")}},
             {{"spec.rules", "Too many: 2: must have at most 1 items"}}},
        Case{"MissingRules", {{"/spec/rules", removed()}}, {{"spec.rules", "Required value"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
