// RateLimitPolicy and FaultInjectionPolicy (gatehouse.dev/v1alpha1): the fields and CEL rules of
// deploy/crds/, with exact errors for what their schemas refuse, and their defaults.
#include "validation_test_util.h"

namespace gatehouse::model::testing {
namespace {

using ::testing::IsEmpty;

json validRateLimit() {
  return yaml(R"y(
apiVersion: gatehouse.dev/v1alpha1
kind: RateLimitPolicy
metadata: {name: api, namespace: shop}
spec:
  targetRefs:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: store, sectionName: api}
  - {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
  local:
    requests: 100
    window: 1m
    key: {type: Header, header: X-Api-Key}
    maxKeys: 500
  global:
    requests: 1000
    window: 1h
    key: {type: ClientAddress}
    failureMode: Closed
)y");
}

json validFault() {
  return yaml(R"y(
apiVersion: gatehouse.dev/v1alpha1
kind: FaultInjectionPolicy
metadata: {name: chaos, namespace: shop}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: GRPCRoute, name: rpc}]
  abort: {percentage: 5, httpStatus: 503, grpcStatus: 14}
  delay: {percentage: 10, fixedDelay: 250ms}
)y");
}

TEST(GatehousePolicyValidation, AcceptsEveryField) {
  EXPECT_THAT(errorsOf("RateLimitPolicy", validRateLimit()), IsEmpty());
  EXPECT_THAT(errorsOf("FaultInjectionPolicy", validFault()), IsEmpty());
}

TEST(GatehousePolicyValidation, DefaultsKeyMaxKeysAndPercentages) {
  json limit = edited(validRateLimit(), {{"/spec/local/key", json::object()}, {"/spec/local/maxKeys", removed()}});
  limit = defaulted("RateLimitPolicy", limit);
  EXPECT_EQ(limit["spec"]["local"]["key"], (json{{"type", "Target"}}));
  EXPECT_EQ(limit["spec"]["local"]["maxKeys"], 10000);
  limit = defaulted("RateLimitPolicy",
                    edited(validRateLimit(), {{"/spec/global/key", removed()}, {"/spec/global/failureMode", removed()}}));
  EXPECT_FALSE(limit["spec"]["global"].contains("key"));
  EXPECT_EQ(limit["spec"]["global"]["failureMode"], "Open");
  json fault = defaulted("FaultInjectionPolicy", edited(validFault(), {{"/spec/abort/percentage", removed()},
                                                                        {"/spec/delay/percentage", removed()}}));
  EXPECT_EQ(fault["spec"]["abort"]["percentage"], 100);
  EXPECT_EQ(fault["spec"]["delay"]["percentage"], 100);
}

class RateLimitPolicyRejects : public ::testing::TestWithParam<Case> {};
TEST_P(RateLimitPolicyRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("RateLimitPolicy", edited(validRateLimit(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, RateLimitPolicyRejects,
    ::testing::Values(
        Case{"NoLimit", {{"/spec/local", removed()}, {"/spec/global", removed()}},
             {{"spec", "a limit is required: set local, global or both"}}},
        Case{"GlobalFailureModeUnknown", {{"/spec/global/failureMode", "Sometimes"}},
             {{"spec.global.failureMode", "Unsupported value: \"Sometimes\": supported values: \"Open\", \"Closed\""}}},
        Case{"GlobalZeroWindow", {{"/spec/global/window", "0ms"}}, {{"spec.global", "window must be at least 1ms"}}},
        Case{"GlobalHeaderKeyWithoutHeader", {{"/spec/global/key/type", "Header"}},
             {{"spec.global.key", "header must be set when type is Header, and only then"}}},
        Case{"GlobalMaxKeys", {{"/spec/global/maxKeys", 5}}, {{"spec.global.maxKeys", "unknown field"}}},
        Case{"NoTargets", {{"/spec/targetRefs", json::array()}}, {{"spec.targetRefs", "should have at least 1 items"}}},
        Case{"ServiceTarget",
             {{"/spec/targetRefs/1", {{"group", ""}, {"kind", "Service"}, {"name", "echo"}}}},
             {{"spec.targetRefs[1].group",
               "Unsupported value: \"\": supported values: \"gateway.networking.k8s.io\""},
              {"spec.targetRefs[1].kind",
               "Unsupported value: \"Service\": supported values: \"Gateway\", \"ListenerSet\", \"HTTPRoute\", \"GRPCRoute\""}}},
        Case{"SameTargetTwice",
             {{"/spec/targetRefs/1",
               {{"group", "gateway.networking.k8s.io"}, {"kind", "HTTPRoute"}, {"name", "store"}, {"sectionName", "api"}}}},
             {{"spec.targetRefs", "targetRefs must be unique"}}},
        Case{"ZeroRequests", {{"/spec/local/requests", 0}},
             {{"spec.local.requests", "should be greater than or equal to 1"}}},
        Case{"ZeroWindow", {{"/spec/local/window", "0s"}}, {{"spec.local", "window must be at least 1ms"}}},
        Case{"WindowNotADuration", {{"/spec/local/window", "1 minute"}},
             {{"spec.local.window", "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"},
              {"spec.local", "window must be at least 1ms"}}},
        Case{"HeaderKeyWithoutHeader", {{"/spec/local/key/header", removed()}},
             {{"spec.local.key", "header must be set when type is Header, and only then"}}},
        Case{"HeaderWithClientAddressKey", {{"/spec/local/key/type", "ClientAddress"}},
             {{"spec.local.key", "header must be set when type is Header, and only then"}}},
        Case{"TooManyKeys", {{"/spec/local/maxKeys", 1000001}},
             {{"spec.local.maxKeys", "should be less than or equal to 1000000"}}}),
    caseName);

class FaultInjectionPolicyRejects : public ::testing::TestWithParam<Case> {};
TEST_P(FaultInjectionPolicyRejects, WithExactErrors) {
  EXPECT_EQ(errorsOf("FaultInjectionPolicy", edited(validFault(), GetParam().edits)), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, FaultInjectionPolicyRejects,
    ::testing::Values(
        Case{"NeitherAbortNorDelay", {{"/spec/abort", removed()}, {"/spec/delay", removed()}},
             {{"spec", "at least one of abort and delay is required"}}},
        Case{"AbortWithoutStatus", {{"/spec/abort/httpStatus", removed()}, {"/spec/abort/grpcStatus", removed()}},
             {{"spec.abort", "abort needs httpStatus or grpcStatus"}}},
        Case{"PercentageOver100", {{"/spec/abort/percentage", 101}},
             {{"spec.abort.percentage", "should be less than or equal to 100"}}},
        Case{"HttpStatusBelow200", {{"/spec/abort/httpStatus", 199}},
             {{"spec.abort.httpStatus", "should be greater than or equal to 200"}}},
        Case{"GrpcStatusOk", {{"/spec/abort/grpcStatus", 0}},
             {{"spec.abort.grpcStatus", "should be greater than or equal to 1"}}},
        Case{"DelayWithoutDuration", {{"/spec/delay/fixedDelay", removed()}},
             {{"spec.delay.fixedDelay", "Required value"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
