// The validation entry points, ObjectMeta rules, and the schema vocabulary they are built on.
#include "model/validation.h"

#include "model/schema.h"
#include "validation_test_util.h"

#include <sstream>

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

json validRoute() {
  return yaml("{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: r, namespace: default}, spec: {}}");
}

TEST(Validate, UnsupportedKind) {
  EXPECT_EQ(validate("Deployment", yaml("{apiVersion: apps/v1, kind: Deployment}")),
            (std::vector<FieldError>{{"kind", "unsupported kind \"Deployment\""}}));
  EXPECT_FALSE(isSupportedKind("Deployment"));
}

TEST(Validate, EverySupportedKindIsKnown) {
  for (const char* kind : {"GatewayClass", "Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute",
                           "ReferenceGrant", "BackendTLSPolicy", "Namespace", "Service", "EndpointSlice", "Secret", "ConfigMap"}) {
    EXPECT_TRUE(isSupportedKind(kind)) << kind;
    EXPECT_FALSE(validate(kind, json::object()).empty()) << kind;  // builds the schema, rejects {}
  }
}

TEST(Validate, ObjectMustBeAnObject) {
  EXPECT_EQ(validate("HTTPRoute", json::array()), (std::vector<FieldError>{{"", "must be of type object"}}));
}

TEST(Validate, MissingApiVersionAndKind) {
  json route = edited(validRoute(), {{"/apiVersion", removed()}, {"/kind", removed()}});
  EXPECT_EQ(validate("HTTPRoute", route), (std::vector<FieldError>{{"apiVersion", "Required value"}, {"kind", "Required value"}}));
}

TEST(Validate, SpecMustBeAnObject) {
  EXPECT_EQ(validate("HTTPRoute", edited(validRoute(), {{"/spec", "x"}})), (std::vector<FieldError>{{"spec", "must be of type object"}}));
}

TEST(Validate, StatusIsNotValidated) {
  EXPECT_THAT(validate("HTTPRoute", edited(validRoute(), {{"/status", yaml("{parents: oops, anything: 1}")}})), IsEmpty());
}

TEST(Validate, DoesNotDefaultItsInput) {
  json route = validRoute();
  (void)validate("HTTPRoute", route);
  EXPECT_EQ(route, validRoute());
}

TEST(Validate, ValidatesTheDefaultedObject) {
  // Without defaulting, `kind` would be absent and the port rule could not fire.
  EXPECT_EQ(validate("HTTPRoute", edited(validRoute(), {{"/spec/rules", yaml("[{backendRefs: [{name: s}]}]")}})),
            (std::vector<FieldError>{{"spec.rules[0].backendRefs[0]", "Must have port for Service reference"}}));
}

TEST(Validate, ReportsSchemaErrorsBeforeCelRules) {
  json route = edited(validRoute(), {{"/spec/rules", yaml("[{backendRefs: [{name: s}], name: Bad}]")}});
  EXPECT_EQ(validate("HTTPRoute", route),
            (std::vector<FieldError>{
                {"spec.rules[0].name", "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"},
                {"spec.rules[0].backendRefs[0]", "Must have port for Service reference"}}));
}

TEST(ApplyDefaults, UnknownKindIsLeftAlone) {
  json d = yaml("{apiVersion: apps/v1, kind: Deployment, spec: {replicas: 1}}");
  applyDefaults("Deployment", d);
  EXPECT_EQ(d, yaml("{apiVersion: apps/v1, kind: Deployment, spec: {replicas: 1}}"));
}

TEST(ApplyDefaults, WrongTypesAreLeftForValidate) {
  json route = edited(validRoute(), {{"/spec", yaml("{rules: 5, parentRefs: [1, {name: gw}]}")}});
  applyDefaults("HTTPRoute", route);
  EXPECT_EQ(route["spec"], yaml("{rules: 5, parentRefs: [1, {group: gateway.networking.k8s.io, kind: Gateway, name: gw}]}"));
}

TEST(FieldError, PrintsFieldAndReason) {
  std::ostringstream os;
  os << FieldError{"spec.rules", "Required value"};
  EXPECT_EQ(os.str(), "spec.rules: Required value");
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta

class MetadataRejects : public ::testing::TestWithParam<Case> {};
TEST_P(MetadataRejects, WithExactErrors) {
  EXPECT_EQ(validate("HTTPRoute", edited(validRoute(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, MetadataRejects,
    ::testing::Values(
        Case{"NameTooLong", {{"/metadata/name", std::string(254, 'a')}}, {{"metadata.name", "must be no more than 253 characters"}}},
        Case{"OnlyGenerateName",
             {{"/metadata/name", removed()}, {"/metadata/generateName", "r-"}},
             {{"metadata.name", "Required value: name or generateName is required"}}},
        Case{"LabelKeyWithTwoSlashes",
             {{"/metadata/labels", yaml("{a/b/c: x}")}},
             {{"metadata.labels[a/b/c]",
               "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
               "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. "
               "'example.com/MyName')"}}},
        Case{"LabelKeyPrefixUppercase",
             {{"/metadata/labels", yaml("{Example.com/a: x}")}},
             {{"metadata.labels[Example.com/a]",
               "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
               "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}}},
        Case{"LabelKeyNameTooLong",
             {{"/metadata/labels", {{std::string(64, 'a'), "x"}}}},
             {{"metadata.labels[" + std::string(64, 'a') + "]", "name part must be no more than 63 characters"}}},
        Case{"LabelValueTooLong",
             {{"/metadata/labels", {{"a", std::string(64, 'x')}}}},
             {{"metadata.labels[a]", "must be no more than 63 characters"}}},
        Case{"LabelValueNotString", {{"/metadata/labels", yaml("{a: 1}")}}, {{"metadata.labels[a]", "must be of type string"}}},
        Case{"AnnotationKeyInvalid",
             {{"/metadata/annotations", yaml("{'a b': x}")}},
             {{"metadata.annotations[a b]",
               "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
               "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}}},
        Case{"AnnotationsTooLarge",
             {{"/metadata/annotations", {{"a", std::string(256 * 1024, 'x')}}}},
             {{"metadata.annotations", "Too long: must have at most 262144 bytes"}}},
        Case{"FinalizerInvalid",
             {{"/metadata/finalizers", json::array({"example.com/ok", "not ok"})}},
             {{"metadata.finalizers[1]",
               "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
               "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}}},
        Case{"GenerationNotInteger", {{"/metadata/generation", "1"}}, {{"metadata.generation", "must be of type integer"}}},
        Case{"OwnerReferenceWithoutUid",
             {{"/metadata/ownerReferences", yaml("[{apiVersion: v1, kind: Service, name: s}]")}},
             {{"metadata.ownerReferences[0].uid", "Required value"}}}),
    caseName);

TEST(Metadata, AcceptsKubectlStyleMetadata) {
  json route = edited(validRoute(), {{"/metadata", yaml(R"y(
name: r
namespace: default
labels: {app: web, example.com/tier: Front_End.1, empty: ''}
annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}', Note: x}
creationTimestamp: null
generation: 3
resourceVersion: "12"
uid: 0b5c
finalizers: [example.com/cleanup]
)y")}});
  EXPECT_THAT(validate("HTTPRoute", route), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Schema vocabulary

std::vector<FieldError> check(const schema::Schema& s, const json& value) {
  schema::Errors errors;
  schema::validate(s.node(), value, "x", errors);
  return errors.list();
}

TEST(Schema, LengthCountsCharactersNotBytes) {
  EXPECT_THAT(check(schema::Str().maxLen(3), "äöü"), IsEmpty());
  EXPECT_EQ(check(schema::Str().maxLen(3), "äöüß"), (std::vector<FieldError>{{"x", "Too long: may not be more than 3 bytes"}}));
}

TEST(Schema, IntegralFloatIsAnInteger) {
  EXPECT_THAT(check(schema::Int().max(10), 5.0), IsEmpty());
  EXPECT_EQ(check(schema::Int(), 5.5), (std::vector<FieldError>{{"x", "must be of type integer"}}));
}

TEST(Schema, PatternIsUnanchoredLikeOpenAPI) {
  EXPECT_THAT(check(schema::Str().pattern("b"), "abc"), IsEmpty());
}

TEST(Schema, MapKeysUseBrackets) {
  EXPECT_EQ(check(schema::MapOf(schema::Str().maxLen(1)), json{{"k", "ab"}}),
            (std::vector<FieldError>{{"x[k]", "Too long: may not be more than 1 bytes"}}));
}

TEST(Schema, DefaultsApplyInsideDefaults) {
  auto s = schema::Obj({{"a", schema::Obj({{"b", schema::Str().def("B")}}).def(json::object())}});
  json v = json::object();
  schema::applyDefaults(s.node(), v);
  EXPECT_EQ(v, json({{"a", {{"b", "B"}}}}));
}

TEST(Schema, ModifiersDoNotChangeTheSharedBase) {
  auto base = schema::Str();
  auto limited = base.maxLen(1);
  EXPECT_THAT(check(base, "long"), IsEmpty());
  EXPECT_FALSE(check(limited, "long").empty());
}

TEST(Schema, NullRequiredMemberIsMissing) {
  auto s = schema::Obj({{"a", schema::Str()}}).required({"a"});
  EXPECT_EQ(check(s, json{{"a", nullptr}}), (std::vector<FieldError>{{"x.a", "Required value"}}));
}

TEST(Schema, IsIP) {
  EXPECT_TRUE(schema::isIP("10.0.0.1"));
  EXPECT_TRUE(schema::isIP("::1"));
  EXPECT_FALSE(schema::isIP("10.0.0.256"));
  EXPECT_FALSE(schema::isIP("example.com"));
  EXPECT_FALSE(schema::isIP(""));
}

}  // namespace
}  // namespace gatehouse::model::testing
