// HTTPRoute: every default, and rejections with their exact errors.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

json validRoute() {
  return yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route
  namespace: default
spec:
  parentRefs:
  - name: gw
  hostnames: [example.com]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /app}
    backendRefs:
    - name: svc
      port: 8080
)y");
}

json specOf(const char* yamlText) { return defaulted("HTTPRoute", edited(validRoute(), {{"/spec", yaml(yamlText)}}))["spec"]; }

TEST(HTTPRouteDefaults, ParentRefAndBackendRefDefaults) {
  json want = yaml(R"y(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route
  namespace: default
spec:
  parentRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
  hostnames: [example.com]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /app}
    backendRefs:
    - {group: "", kind: Service, name: svc, port: 8080, weight: 1}
)y");
  EXPECT_EQ(defaulted("HTTPRoute", validRoute()), want);
}

TEST(HTTPRouteDefaults, EmptySpecGetsOneCatchAllRule) {
  EXPECT_EQ(specOf("{}"), yaml("{rules: [{matches: [{path: {type: PathPrefix, value: /}}]}]}"));
}

TEST(HTTPRouteDefaults, RuleWithoutMatchesGetsCatchAllMatch) {
  EXPECT_EQ(specOf("{rules: [{backendRefs: [{name: s, port: 80}]}]}"),
            yaml("{rules: [{matches: [{path: {type: PathPrefix, value: /}}], "
                 "backendRefs: [{group: '', kind: Service, name: s, port: 80, weight: 1}]}]}"));
}

TEST(HTTPRouteDefaults, HeaderOnlyMatchGetsPathAndExactTypes) {
  EXPECT_EQ(specOf("{rules: [{matches: [{headers: [{name: x, value: y}], queryParams: [{name: q, value: v}]}]}]}"),
            yaml("{rules: [{matches: [{path: {type: PathPrefix, value: /}, headers: [{name: x, type: Exact, value: y}], "
                 "queryParams: [{name: q, type: Exact, value: v}]}]}]}"));
}

TEST(HTTPRouteDefaults, PathTypeAndValue) {
  EXPECT_EQ(specOf("{rules: [{matches: [{path: {value: /x}}, {path: {type: Exact}}]}]}"),
            yaml("{rules: [{matches: [{path: {type: PathPrefix, value: /x}}, {path: {type: Exact, value: /}}]}]}"));
}

TEST(HTTPRouteDefaults, FilterDefaults) {
  json spec = specOf(R"y(
rules:
- filters:
  - type: RequestRedirect
    requestRedirect: {scheme: https}
  - type: RequestMirror
    requestMirror:
      backendRef: {name: mirror, port: 80}
      fraction: {numerator: 5}
  - type: CORS
    cors: {allowOrigins: ['*']}
)y");
  EXPECT_EQ(spec["rules"][0]["filters"], yaml(R"y(
- type: RequestRedirect
  requestRedirect: {scheme: https, statusCode: 302}
- type: RequestMirror
  requestMirror:
    backendRef: {group: "", kind: Service, name: mirror, port: 80}
    fraction: {numerator: 5, denominator: 100}
- type: CORS
  cors: {allowOrigins: ['*'], maxAge: 5}
)y"));
}

TEST(HTTPRouteDefaults, BackendRefFilterDefaults) {
  json spec = specOf("{rules: [{backendRefs: [{name: s, port: 80, filters: [{type: RequestMirror, "
                     "requestMirror: {backendRef: {name: m, port: 81}}}]}]}]}");
  EXPECT_EQ(spec["rules"][0]["backendRefs"][0]["filters"][0]["requestMirror"]["backendRef"],
            yaml("{group: '', kind: Service, name: m, port: 81}"));
}

TEST(HTTPRouteDefaults, IsIdempotent) {
  json once = defaulted("HTTPRoute", validRoute());
  EXPECT_EQ(defaulted("HTTPRoute", once), once);
}

TEST(HTTPRouteValidation, AcceptsValidRoute) { EXPECT_THAT(errorsOf("HTTPRoute", validRoute()), IsEmpty()); }

TEST(HTTPRouteValidation, AcceptsV1beta1) {
  EXPECT_THAT(errorsOf("HTTPRoute", edited(validRoute(), {{"/apiVersion", "gateway.networking.k8s.io/v1beta1"}})), IsEmpty());
}

TEST(HTTPRouteValidation, AcceptsEmptySpec) {
  EXPECT_THAT(errorsOf("HTTPRoute", edited(validRoute(), {{"/spec", json::object()}})), IsEmpty());
}

TEST(HTTPRouteValidation, AcceptsEveryFeature) {
  json route = edited(validRoute(), {{"/spec", yaml(R"y(
parentRefs:
- {name: gw, sectionName: http}
- {name: gw, sectionName: https, port: 443}
- {name: gw, namespace: other}
- {group: example.com, kind: Mesh, name: mesh}
hostnames: ['*.example.com', example.org]
rules:
- name: main
  matches:
  - path: {type: Exact, value: "/a/b%20c"}
    headers: [{name: X-Env, value: prod}, {name: x-re, type: RegularExpression, value: "^a.*"}]
    queryParams: [{name: q, value: v}]
    method: GET
  - path: {type: RegularExpression, value: "/a b(.*)"}
  filters:
  - type: RequestHeaderModifier
    requestHeaderModifier: {add: [{name: a, value: "1"}], set: [{name: b, value: "2"}], remove: [c]}
  - type: ResponseHeaderModifier
    responseHeaderModifier: {remove: [d]}
  - type: RequestMirror
    requestMirror: {backendRef: {name: m, port: 80}, percent: 50}
  - type: CORS
    cors: {allowOrigins: ['https://*.example.com:8443', 'http://a.example.com'], allowMethods: [GET, POST], allowHeaders: [x-a], exposeHeaders: [x-b], allowCredentials: true, maxAge: 60}
  - type: ExtensionRef
    extensionRef: {group: example.com, kind: Filter, name: f}
  backendRefs:
  - {name: a, port: 80, weight: 0}
  - {name: b, port: 80, weight: 1000000, namespace: other, filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: y}]}}]}
  - {group: example.com, kind: Backend, name: c}
  timeouts: {request: 10s, backendRequest: 2s}
  retry: {codes: [500, 502, 503, 504], attempts: 3, backoff: 100ms}
- matches: [{path: {type: PathPrefix, value: /old}}]
  filters:
  - type: RequestRedirect
    requestRedirect: {scheme: https, hostname: new.example.com, port: 443, statusCode: 301, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
- matches: [{path: {type: PathPrefix, value: /rw}}]
  filters:
  - type: URLRewrite
    urlRewrite: {hostname: internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
  backendRefs: [{name: a, port: 80}]
- filters:
  - type: URLRewrite
    urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /index.html}}
  backendRefs: [{name: a, port: 80}]
  timeouts: {request: 0s, backendRequest: 1h}
)y")}});
  EXPECT_THAT(errorsOf("HTTPRoute", route), IsEmpty());
}

json matches(size_t n) {
  json out = json::array();
  for (size_t i = 0; i < n; ++i) out.push_back({{"path", {{"type", "PathPrefix"}, {"value", "/m" + std::to_string(i)}}}});
  return out;
}

TEST(HTTPRouteValidation, Accepts128MatchesInTotal) {
  json rules = json::array({{{"matches", matches(64)}}, {{"matches", matches(64)}}});
  EXPECT_THAT(errorsOf("HTTPRoute", edited(validRoute(), {{"/spec/rules", rules}})), IsEmpty());
}

class HTTPRouteRejects : public ::testing::TestWithParam<Case> {};
TEST_P(HTTPRouteRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("HTTPRoute", edited(validRoute(), GetParam().edits)), GetParam().want);
}

const char* kPathMatch = "/spec/rules/0/matches/0/path";
const char* kPathField = "spec.rules[0].matches[0].path";
Case pathCase(std::string name, const char* value, std::vector<std::string> messages) {
  std::vector<FieldError> want;
  for (auto& m : messages) want.push_back({kPathField, m});
  return Case{std::move(name), {{kPathMatch, {{"type", "PathPrefix"}, {"value", value}}}}, want};
}

INSTANTIATE_TEST_SUITE_P(
    PathMatch, HTTPRouteRejects,
    ::testing::Values(
        pathCase("Relative", "app", {"value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("DoubleSlash", "/a//b", {"must not contain '//' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("DotSegment", "/a/./b", {"must not contain '/./' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("DotDotSegment", "/a/../b", {"must not contain '/../' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("EncodedSlashLower", "/a%2fb", {"must not contain '%2f' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("EncodedSlashUpper", "/a%2Fb", {"must not contain '%2F' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("Fragment", "/a#b",
                 {"must not contain '#' when type one of ['Exact', 'PathPrefix']",
                  "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for "
                  "types ['Exact', 'PathPrefix']"}),
        pathCase("EndsWithDotDot", "/a/..", {"must not end with '/..' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("EndsWithDot", "/a/.", {"must not end with '/.' when type one of ['Exact', 'PathPrefix']"}),
        pathCase("Space", "/a b",
                 {"must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for "
                  "types ['Exact', 'PathPrefix']"}),
        pathCase("BadPercentEncoding", "/a%zz",
                 {"must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for "
                  "types ['Exact', 'PathPrefix']"}),
        Case{"UnknownType",
             {{kPathMatch, {{"type", "Glob"}, {"value", "/a"}}}},
             {{kPathField + std::string(".type"),
               "Unsupported value: \"Glob\": supported values: \"Exact\", \"PathPrefix\", \"RegularExpression\""},
              {kPathField, "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']"}}},
        Case{"TooLong",
             {{kPathMatch, {{"type", "RegularExpression"}, {"value", "/" + std::string(1024, 'a')}}}},
             {{kPathField + std::string(".value"), "Too long: may not be more than 1024 bytes"}}}),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    Matches, HTTPRouteRejects,
    ::testing::Values(
        Case{"HeaderNameWithSpace",
             {{"/spec/rules/0/matches/0/headers", yaml("[{name: 'x y', value: v}]")}},
             {{"spec.rules[0].matches[0].headers[0].name", "should match '^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$'"}}},
        Case{"HeaderWithoutValue",
             {{"/spec/rules/0/matches/0/headers", yaml("[{name: x}]")}},
             {{"spec.rules[0].matches[0].headers[0].value", "Required value"}}},
        Case{"HeaderTypeUnsupported",
             {{"/spec/rules/0/matches/0/headers", yaml("[{name: x, value: v, type: Prefix}]")}},
             {{"spec.rules[0].matches[0].headers[0].type",
               "Unsupported value: \"Prefix\": supported values: \"Exact\", \"RegularExpression\""}}},
        Case{"DuplicateHeaderName",
             {{"/spec/rules/0/matches/0/headers", yaml("[{name: x, value: a}, {name: x, value: b}]")}},
             {{"spec.rules[0].matches[0].headers[1]", "Duplicate value: {\"name\":\"x\"}"}}},
        Case{"QueryParamValueTooLong",
             {{"/spec/rules/0/matches/0/queryParams", {{{"name", "q"}, {"value", std::string(1025, 'v')}}}}},
             {{"spec.rules[0].matches[0].queryParams[0].value", "Too long: may not be more than 1024 bytes"}}},
        Case{"MethodUnsupported",
             {{"/spec/rules/0/matches/0/method", "FETCH"}},
             {{"spec.rules[0].matches[0].method",
               "Unsupported value: \"FETCH\": supported values: \"GET\", \"HEAD\", \"POST\", \"PUT\", \"DELETE\", "
               "\"CONNECT\", \"OPTIONS\", \"TRACE\", \"PATCH\""}}},
        Case{"SixtyFiveMatches",
             {{"/spec/rules/0/matches", matches(65)}},
             {{"spec.rules[0].matches", "Too many: 65: must have at most 64 items"}}},
        Case{"MoreThan128MatchesInTotal",
             {{"/spec/rules", json::array({{{"matches", matches(64)}}, {{"matches", matches(64)}}, {{"matches", matches(1)}}})}},
             {{"spec.rules",
               "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a "
               "route must be less than 128"}}}),
    caseName);

json rules(size_t n) {
  json out = json::array();
  for (size_t i = 0; i < n; ++i) out.push_back(json::object());
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    SpecAndRefs, HTTPRouteRejects,
    ::testing::Values(
        Case{"NoRules", {{"/spec/rules", json::array()}}, {{"spec.rules", "should have at least 1 items"}}},
        Case{"SeventeenRules", {{"/spec/rules", rules(17)}}, {{"spec.rules", "Too many: 17: must have at most 16 items"}}},
        Case{"RuleNameUppercase",
             {{"/spec/rules/0/name", "Main"}},
             {{"spec.rules[0].name", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}}},
        Case{"HostnameIsIPWildcardMiddle",
             {{"/spec/hostnames/0", "a.*.example.com"}},
             {{"spec.hostnames[0]", "should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}}},
        Case{"SeventeenHostnames",
             {{"/spec/hostnames", json::array({"a.a", "b.a", "c.a", "d.a", "e.a", "f.a", "g.a", "h.a", "i.a", "j.a", "k.a",
                                               "l.a", "m.a", "n.a", "o.a", "p.a", "q.a"})}},
             {{"spec.hostnames", "Too many: 17: must have at most 16 items"}}},
        Case{"ParentRefWithoutName", {{"/spec/parentRefs/0/name", removed()}}, {{"spec.parentRefs[0].name", "Required value"}}},
        Case{"ParentRefPortZero", {{"/spec/parentRefs/0/port", 0}}, {{"spec.parentRefs[0].port", "should be greater than or equal to 1"}}},
        Case{"SameParentTwiceWithoutSectionName",
             {{"/spec/parentRefs/-", yaml("{name: gw}")}},
             {{"spec.parentRefs", "sectionName must be unique when parentRefs includes 2 or more references to the same parent"}}},
        Case{"SameParentTwiceWithEmptyAndAbsentNamespace",
             {{"/spec/parentRefs/-", yaml("{name: gw, namespace: ''}")}},
             {{"spec.parentRefs[1].namespace", "should be at least 1 chars long"},
              {"spec.parentRefs[1].namespace", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"},
              {"spec.parentRefs", "sectionName must be unique when parentRefs includes 2 or more references to the same parent"}}},
        Case{"SameParentWithAndWithoutSectionName",
             {{"/spec/parentRefs/-", yaml("{name: gw, sectionName: http}")}},
             {{"spec.parentRefs", "sectionName must be specified when parentRefs includes 2 or more references to the same parent"}}},
        Case{"SameParentSameSectionName",
             {{"/spec/parentRefs", yaml("[{name: gw, sectionName: http}, {name: gw, sectionName: http, port: 80}]")}},
             {{"spec.parentRefs", "sectionName must be unique when parentRefs includes 2 or more references to the same parent"}}},
        Case{"ServiceBackendWithoutPort",
             {{"/spec/rules/0/backendRefs/0/port", removed()}},
             {{"spec.rules[0].backendRefs[0]", "Must have port for Service reference"}}},
        Case{"NegativeWeight", {{"/spec/rules/0/backendRefs/0/weight", -1}}, {{"spec.rules[0].backendRefs[0].weight", "should be greater than or equal to 0"}}},
        Case{"WeightTooLarge",
             {{"/spec/rules/0/backendRefs/0/weight", 1000001}},
             {{"spec.rules[0].backendRefs[0].weight", "should be less than or equal to 1000000"}}},
        Case{"BackendKindInvalid",
             {{"/spec/rules/0/backendRefs/0/kind", "my_kind"}},
             {{"spec.rules[0].backendRefs[0].kind", "should match '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'"}}},
        Case{"BackendGroupInvalid",
             {{"/spec/rules/0/backendRefs/0/group", "Example.com"}},
             {{"spec.rules[0].backendRefs[0].group",
               "should match '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}}},
        Case{"TimeoutNotADuration",
             {{"/spec/rules/0/timeouts", yaml("{request: '10'}")}},
             {{"spec.rules[0].timeouts.request", "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"}}},
        Case{"RetryCodeOutOfRange",
             {{"/spec/rules/0/retry", yaml("{codes: [399, 600]}")}},
             {{"spec.rules[0].retry.codes[0]", "should be greater than or equal to 400"},
              {"spec.rules[0].retry.codes[1]", "should be less than or equal to 599"}}},
        Case{"RetryZeroAttempts",
             {{"/spec/rules/0/retry", yaml("{attempts: 0}")}},
             {{"spec.rules[0].retry.attempts", "should be greater than or equal to 1"}}},
        Case{"RetryBackoffNotADuration",
             {{"/spec/rules/0/retry", yaml("{backoff: 1.5s}")}},
             {{"spec.rules[0].retry.backoff", "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"}}},
        Case{"BackendTimeoutLongerThanRequest",
             {{"/spec/rules/0/timeouts", yaml("{request: 1m, backendRequest: 1m500ms}")}},
             {{"spec.rules[0].timeouts", "backendRequest timeout cannot be longer than request timeout"}}}),
    caseName);

Case filterCase(std::string name, const char* filtersYaml, std::vector<FieldError> want, bool keepBackends = false) {
  std::vector<Edit> edits = {{"/spec/rules/0/filters", yaml(filtersYaml)}};
  if (!keepBackends) edits.push_back({"/spec/rules/0/backendRefs", removed()});
  return Case{std::move(name), edits, std::move(want)};
}

INSTANTIATE_TEST_SUITE_P(
    Filters, HTTPRouteRejects,
    ::testing::Values(
        filterCase("RedirectWithBackendRefs", "[{type: RequestRedirect, requestRedirect: {scheme: https}}]",
                   {{"spec.rules[0]", "RequestRedirect filter must not be used together with backendRefs"}}, true),
        filterCase("RedirectAndRewrite",
                   "[{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: URLRewrite, urlRewrite: {hostname: a}}]",
                   {{"spec.rules[0].filters",
                     "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"}}),
        filterCase("RepeatedRequestHeaderModifier",
                   "[{type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}, "
                   "{type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}]",
                   {{"spec.rules[0].filters", "RequestHeaderModifier filter cannot be repeated"}}),
        filterCase("RepeatedResponseHeaderModifier",
                   "[{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [a]}}, "
                   "{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [b]}}]",
                   {{"spec.rules[0].filters", "ResponseHeaderModifier filter cannot be repeated"}}),
        filterCase("RepeatedRedirect",
                   "[{type: RequestRedirect, requestRedirect: {port: 1}}, {type: RequestRedirect, requestRedirect: {port: 2}}]",
                   {{"spec.rules[0].filters", "RequestRedirect filter cannot be repeated"}}),
        filterCase("RepeatedRewrite", "[{type: URLRewrite, urlRewrite: {hostname: a}}, {type: URLRewrite, urlRewrite: {hostname: b}}]",
                   {{"spec.rules[0].filters", "URLRewrite filter cannot be repeated"}}),
        filterCase("RepeatedCors", "[{type: CORS, cors: {maxAge: 1}}, {type: CORS, cors: {maxAge: 2}}]",
                   {{"spec.rules[0].filters", "CORS filter cannot be repeated"}}),
        filterCase("TypeWithoutMember", "[{type: RequestHeaderModifier}]",
                   {{"spec.rules[0].filters[0]", "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type"}}),
        filterCase("MemberOfAnotherType", "[{type: ResponseHeaderModifier, requestHeaderModifier: {remove: [a]}}]",
                   {{"spec.rules[0].filters[0]", "filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier"},
                    {"spec.rules[0].filters[0]", "filter.responseHeaderModifier must be specified for ResponseHeaderModifier filter.type"}}),
        filterCase("CorsMemberWithExtensionRefType", "[{type: ExtensionRef, cors: {}, extensionRef: {group: g, kind: K, name: n}}]",
                   {{"spec.rules[0].filters[0]", "filter.cors must be nil if the filter.type is not CORS"}}),
        filterCase("MirrorTypeWithoutMember", "[{type: RequestMirror}]",
                   {{"spec.rules[0].filters[0]", "filter.requestMirror must be specified for RequestMirror filter.type"}}),
        filterCase("UnknownType", "[{type: Rewrite}]",
                   {{"spec.rules[0].filters[0].type",
                     "Unsupported value: \"Rewrite\": supported values: \"RequestHeaderModifier\", \"ResponseHeaderModifier\", "
                     "\"RequestMirror\", \"RequestRedirect\", \"URLRewrite\", \"ExtensionRef\", \"CORS\""}}),
        filterCase("FilterWithoutType", "[{requestHeaderModifier: {remove: [a]}}]",
                   {{"spec.rules[0].filters[0].type", "Required value"},
                    {"spec.rules[0].filters[0]", "filter.requestHeaderModifier must be nil if the filter.type is not RequestHeaderModifier"}}),
        filterCase("HeaderAddDuplicate",
                   "[{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: a, value: '1'}, {name: a, value: '2'}]}}]",
                   {{"spec.rules[0].filters[0].requestHeaderModifier.add[1]", "Duplicate value: {\"name\":\"a\"}"}}),
        filterCase("HeaderRemoveDuplicate", "[{type: RequestHeaderModifier, requestHeaderModifier: {remove: [a, a]}}]",
                   {{"spec.rules[0].filters[0].requestHeaderModifier.remove[1]", "Duplicate value: \"a\""}}),
        filterCase("HeaderSetEmptyValue", "[{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: a, value: ''}]}}]",
                   {{"spec.rules[0].filters[0].responseHeaderModifier.set[0].value", "should be at least 1 chars long"}}),
        filterCase("MirrorPercentAndFraction",
                   "[{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 10, fraction: {numerator: 1}}}]",
                   {{"spec.rules[0].filters[0].requestMirror",
                     "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter"}}),
        filterCase("MirrorFractionAboveOne",
                   "[{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 200}}}]",
                   {{"spec.rules[0].filters[0].requestMirror.fraction", "numerator must be less than or equal to denominator"}}),
        filterCase("MirrorPercentAbove100", "[{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 101}}]",
                   {{"spec.rules[0].filters[0].requestMirror.percent", "should be less than or equal to 100"}}),
        filterCase("MirrorServiceWithoutPort", "[{type: RequestMirror, requestMirror: {backendRef: {name: m}}}]",
                   {{"spec.rules[0].filters[0].requestMirror.backendRef", "Must have port for Service reference"}}),
        filterCase("MirrorWithoutBackendRef", "[{type: RequestMirror, requestMirror: {percent: 5}}]",
                   {{"spec.rules[0].filters[0].requestMirror.backendRef", "Required value"}}),
        filterCase("RedirectStatusCodeUnsupported", "[{type: RequestRedirect, requestRedirect: {statusCode: 304}}]",
                   {{"spec.rules[0].filters[0].requestRedirect.statusCode",
                     "Unsupported value: 304: supported values: 301, 302, 303, 307, 308"}}),
        filterCase("RedirectSchemeUnsupported", "[{type: RequestRedirect, requestRedirect: {scheme: ftp}}]",
                   {{"spec.rules[0].filters[0].requestRedirect.scheme",
                     "Unsupported value: \"ftp\": supported values: \"http\", \"https\""}}),
        filterCase("RedirectWildcardHostname", "[{type: RequestRedirect, requestRedirect: {hostname: '*.example.com'}}]",
                   {{"spec.rules[0].filters[0].requestRedirect.hostname",
                     "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}}),
        filterCase("ReplaceFullPathMissing", "[{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath}}}]",
                   {{"spec.rules[0].filters[0].requestRedirect.path",
                     "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"}}),
        filterCase("ReplacePrefixMatchWithFullPathType",
                   "[{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replacePrefixMatch: /x}}}]",
                   {{"spec.rules[0].filters[0].urlRewrite.path", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"},
                    {"spec.rules[0].filters[0].urlRewrite.path", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"}}),
        filterCase("ReplacePrefixMatchMissing", "[{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replaceFullPath: /x}}}]",
                   {{"spec.rules[0].filters[0].urlRewrite.path", "type must be 'ReplaceFullPath' when replaceFullPath is set"},
                    {"spec.rules[0].filters[0].urlRewrite.path",
                     "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"}}),
        filterCase("PathModifierWithoutType", "[{type: URLRewrite, urlRewrite: {path: {}}}]",
                   {{"spec.rules[0].filters[0].urlRewrite.path.type", "Required value"}}),
        filterCase("ExtensionRefWithoutGroup", "[{type: ExtensionRef, extensionRef: {kind: K, name: n}}]",
                   {{"spec.rules[0].filters[0].extensionRef.group", "Required value"}}),
        filterCase("CorsWildcardOriginWithOthers", "[{type: CORS, cors: {allowOrigins: ['*', 'https://a.example.com']}}]",
                   {{"spec.rules[0].filters[0].cors.allowOrigins", "AllowOrigins cannot contain '*' alongside other origins"}}),
        filterCase("CorsOriginWithoutScheme", "[{type: CORS, cors: {allowOrigins: ['example.com']}}]",
                   {{"spec.rules[0].filters[0].cors.allowOrigins[0]",
                     "should match '(^\\*$)|(^(http(s)?):\\/\\/(((\\*\\.)?([a-zA-Z0-9\\-]+\\.)*[a-zA-Z0-9-]+|\\*)(:([0-9]{1,5}))?)$)'"}}),
        filterCase("CorsWildcardMethodWithOthers", "[{type: CORS, cors: {allowMethods: ['*', GET]}}]",
                   {{"spec.rules[0].filters[0].cors.allowMethods", "AllowMethods cannot contain '*' alongside other methods"}}),
        filterCase("CorsWildcardHeaderWithOthers", "[{type: CORS, cors: {allowHeaders: ['*', x-a]}}]",
                   {{"spec.rules[0].filters[0].cors.allowHeaders", "AllowHeaders cannot contain '*' alongside other methods"}}),
        filterCase("CorsDuplicateMethod", "[{type: CORS, cors: {allowMethods: [GET, GET]}}]",
                   {{"spec.rules[0].filters[0].cors.allowMethods[1]", "Duplicate value: \"GET\""}}),
        filterCase("CorsMaxAgeZero", "[{type: CORS, cors: {maxAge: 0}}]",
                   {{"spec.rules[0].filters[0].cors.maxAge", "should be greater than or equal to 1"}})),
    caseName);

INSTANTIATE_TEST_SUITE_P(
    PrefixRewrite, HTTPRouteRejects,
    ::testing::Values(
        Case{"RewritePrefixWithTwoMatches",
             {{"/spec/rules/0/matches/-", yaml("{path: {type: PathPrefix, value: /b}}")},
              {"/spec/rules/0/filters", yaml("[{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]")}},
             {{"spec.rules[0]",
               "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"}}},
        Case{"RewritePrefixWithExactMatch",
             {{"/spec/rules/0/matches/0/path/type", "Exact"},
              {"/spec/rules/0/filters", yaml("[{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]")}},
             {{"spec.rules[0]",
               "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"}}},
        Case{"RedirectPrefixWithHeaderOnlyMatches",
             {{"/spec/rules/0/backendRefs", removed()},
              {"/spec/rules/0/matches", yaml("[{path: {type: RegularExpression, value: /a.*}}]")},
              {"/spec/rules/0/filters",
               yaml("[{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]")}},
             {{"spec.rules[0]",
               "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"}}},
        Case{"BackendRedirectPrefixWithTwoMatches",
             {{"/spec/rules/0/matches/-", yaml("{path: {type: PathPrefix, value: /b}}")},
              {"/spec/rules/0/backendRefs/0/filters",
               yaml("[{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]")}},
             {{"spec.rules[0]",
               "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix "
               "match must be specified"}}},
        Case{"BackendRewritePrefixWithTwoMatches",
             {{"/spec/rules/0/matches/-", yaml("{path: {type: PathPrefix, value: /b}}")},
              {"/spec/rules/0/backendRefs/0/filters",
               yaml("[{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]")}},
             {{"spec.rules[0]",
               "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix "
               "match must be specified"}}},
        Case{"BackendFiltersRepeated",
             {{"/spec/rules/0/backendRefs/0/filters",
               yaml("[{type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}, "
                    "{type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}]")}},
             {{"spec.rules[0].backendRefs[0].filters", "RequestHeaderModifier filter cannot be repeated"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
