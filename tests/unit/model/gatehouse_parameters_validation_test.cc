// GatehouseParameters (gatehouse.dev/v1alpha1): the fields deploy/crd-gatehouseparameters.yaml
// declares, with exact errors for what its schema refuses.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

json validParameters() {
  return yaml(R"y(
apiVersion: gatehouse.dev/v1alpha1
kind: GatehouseParameters
metadata:
  name: big
  namespace: infra
spec:
  replicas: 3
  serviceType: LoadBalancer
  resources:
    requests: {cpu: 200m, memory: 64Mi}
    limits: {memory: 256Mi, example.com/gpu: 1}
  annotations: {example.com/tier: edge}
)y");
}

TEST(GatehouseParametersValidation, AcceptsEveryFieldAndAnEmptySpec) {
  EXPECT_THAT(errorsOf("GatehouseParameters", validParameters()), IsEmpty());
  EXPECT_THAT(errorsOf("GatehouseParameters", edited(validParameters(), {{"/spec", json::object()}})), IsEmpty());
}

class GatehouseParametersRejects : public ::testing::TestWithParam<Case> {};
TEST_P(GatehouseParametersRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("GatehouseParameters", edited(validParameters(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, GatehouseParametersRejects,
    ::testing::Values(
        Case{"MissingSpec", {{"/spec", removed()}}, {{"spec", "Required value"}}},
        Case{"NegativeReplicas", {{"/spec/replicas", -1}}, {{"spec.replicas", "should be greater than or equal to 0"}}},
        Case{"UnknownServiceType",
             {{"/spec/serviceType", "ExternalName"}},
             {{"spec.serviceType",
               "Unsupported value: \"ExternalName\": supported values: \"ClusterIP\", \"NodePort\", \"LoadBalancer\""}}},
        Case{"AnnotationNotAString", {{"/spec/annotations/example.com~1tier", 1}},
             {{"spec.annotations[example.com/tier]", "must be of type string"}}},
        Case{"UnknownField", {{"/spec/hostNetwork", true}}, {{"spec.hostNetwork", "unknown field"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
