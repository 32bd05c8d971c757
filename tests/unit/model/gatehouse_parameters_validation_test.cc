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
  accessLog:
    path: "-"
    fields: [time, status, path, trace_id]
    sampling: 0.5
  tracing:
    otlpEndpoint: http://collector.observability:4318
    sampling: 0.01
  metrics:
    perRouteLabels: false
    requests: true
  rateLimit:
    redis:
      address: "redis.infra.svc:6379"
      timeout: 20ms
      username: limiter
      passwordSecretRef: {name: redis-auth, key: password}
      tls:
        caCertificateRef: {name: redis-ca, key: ca.crt}
        serverName: redis.example
        clientCertificateRef: {name: redis-client}
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
        Case{"UnknownField", {{"/spec/hostNetwork", true}}, {{"spec.hostNetwork", "unknown field"}}},
        Case{"UnknownAccessLogField",
             {{"/spec/accessLog/fields/1", "user_agent"}},
             {{"spec.accessLog.fields[1]",
               "Unsupported value: \"user_agent\": supported values: \"time\", \"gateway\", \"listener\", "
               "\"route\", \"rule\", \"backend\", \"endpoint\", \"method\", \"authority\", \"path\", "
               "\"status\", \"bytes_received\", \"bytes_sent\", \"duration_ms\", \"upstream_duration_ms\", "
               "\"upstream_failure\", \"upstream_attempts\", \"trace_id\", \"client_address\""}}},
        Case{"DuplicateAccessLogField",
             {{"/spec/accessLog/fields/1", "time"}},
             {{"spec.accessLog.fields[1]", "Duplicate value: \"time\""}}},
        Case{"NoAccessLogFields", {{"/spec/accessLog/fields", json::array()}},
             {{"spec.accessLog.fields", "should have at least 1 items"}}},
        Case{"EmptyAccessLogPath", {{"/spec/accessLog/path", ""}},
             {{"spec.accessLog.path", "should match '^(-|(/[^/]+)+/[^/]+)$'"}}},
        Case{"RelativeAccessLogPath", {{"/spec/accessLog/path", "logs/access.log"}},
             {{"spec.accessLog.path", "should match '^(-|(/[^/]+)+/[^/]+)$'"}}},
        Case{"AccessLogFileInTheRootDirectory", {{"/spec/accessLog/path", "/access.log"}},
             {{"spec.accessLog.path", "should match '^(-|(/[^/]+)+/[^/]+)$'"}}},
        Case{"AccessLogPathEndingInASlash", {{"/spec/accessLog/path", "/var/log/"}},
             {{"spec.accessLog.path", "should match '^(-|(/[^/]+)+/[^/]+)$'"}}},
        Case{"AccessLogSamplingAboveOne", {{"/spec/accessLog/sampling", 1.5}},
             {{"spec.accessLog.sampling", "should be less than or equal to 1"}}},
        Case{"TraceSamplingBelowZero", {{"/spec/tracing/sampling", -0.1}},
             {{"spec.tracing.sampling", "should be greater than or equal to 0"}}},
        Case{"SamplingNotANumber", {{"/spec/accessLog/sampling", "50%"}},
             {{"spec.accessLog.sampling", "must be of type number"}}},
        Case{"TracingWithoutEndpoint", {{"/spec/tracing/otlpEndpoint", removed()}},
             {{"spec.tracing.otlpEndpoint", "Required value"}}},
        Case{"TracingOverGrpc", {{"/spec/tracing/otlpEndpoint", "grpc://collector:4317"}},
             {{"spec.tracing.otlpEndpoint", "should match '^https?://'"}}},
        Case{"PerRouteLabelsNotABoolean", {{"/spec/metrics/perRouteLabels", "no"}},
             {{"spec.metrics.perRouteLabels", "must be of type boolean"}}},
        Case{"RequestsNotABoolean", {{"/spec/metrics/requests", 1}},
             {{"spec.metrics.requests", "must be of type boolean"}}},
        Case{"RedisWithoutAddress", {{"/spec/rateLimit/redis/address", removed()}},
             {{"spec.rateLimit.redis.address", "Required value"}}},
        Case{"RedisAddressWithoutPort", {{"/spec/rateLimit/redis/address", "redis.infra.svc"}},
             {{"spec.rateLimit.redis.address",
               "should match '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$'"}}},
        Case{"RedisTimeoutNotADuration", {{"/spec/rateLimit/redis/timeout", "50"}},
             {{"spec.rateLimit.redis.timeout", "should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'"}}},
        Case{"RedisUsernameWithoutPassword", {{"/spec/rateLimit/redis/passwordSecretRef", removed()}},
             {{"spec.rateLimit.redis", "username needs passwordSecretRef"}}},
        Case{"RedisPasswordSecretRefWithoutKey", {{"/spec/rateLimit/redis/passwordSecretRef/key", removed()}},
             {{"spec.rateLimit.redis.passwordSecretRef.key", "Required value"}}},
        Case{"RedisPasswordKeyWithASlash", {{"/spec/rateLimit/redis/passwordSecretRef/key", "../token"}},
             {{"spec.rateLimit.redis.passwordSecretRef.key", "should match '^[-._a-zA-Z0-9]+$'"}}},
        Case{"RedisCaCertificateRefWithoutName", {{"/spec/rateLimit/redis/tls/caCertificateRef/name", removed()}},
             {{"spec.rateLimit.redis.tls.caCertificateRef.name", "Required value"}}},
        Case{"RedisClientCertificateRefWithAKey", {{"/spec/rateLimit/redis/tls/clientCertificateRef/key", "tls.crt"}},
             {{"spec.rateLimit.redis.tls.clientCertificateRef.key", "unknown field"}}},
        Case{"RedisTlsInsecureSwitch", {{"/spec/rateLimit/redis/tls/insecureSkipVerify", true}},
             {{"spec.rateLimit.redis.tls.insecureSkipVerify", "unknown field"}}}),
    caseName);

}  // namespace
}  // namespace gatehouse::model::testing
