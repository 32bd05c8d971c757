#include "providers/kube/data_plane_objects.h"

#include <gtest/gtest.h>

namespace gatehouse::providers::kube {
namespace {

using model::Json;

DataPlaneSpec webSpec() {
  DataPlaneSpec spec;
  spec.ns = "infra";
  spec.gateway = "web";
  spec.gateway_uid = "uid-1";
  spec.ports = {{80, "TCP"}, {443, "TCP"}};
  spec.image = "gatehouse:1.0";
  spec.controller = "gatehouse.gatehouse-system.svc:15010";
  spec.controller_ca = "-----BEGIN CERTIFICATE-----\n";
  return spec;
}

TEST(RenderDataPlane, ServiceAccountDeploymentServiceNamedAndOwnedByTheGateway) {
  const auto objects = renderDataPlane(webSpec());
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["kind"], "ServiceAccount");
  EXPECT_EQ(objects[1]["kind"], "Deployment");
  EXPECT_EQ(objects[2]["kind"], "Service");
  for (const auto& o : objects) {
    EXPECT_EQ(o["metadata"]["name"], "gatehouse-web");
    EXPECT_EQ(o["metadata"]["namespace"], "infra");
    EXPECT_EQ(o["metadata"]["ownerReferences"],
              (Json{{{"apiVersion", "gateway.networking.k8s.io/v1"}, {"kind", "Gateway"}, {"name", "web"}, {"uid", "uid-1"},
                     {"controller", true}, {"blockOwnerDeletion", true}}}));
  }
  EXPECT_EQ(objects[0]["automountServiceAccountToken"], false);
}

TEST(RenderDataPlane, PodRunsTheDataPlaneWithAProjectedTokenAndNoApiCredentials) {
  const Json deployment = renderDataPlane(webSpec())[1];
  const Json& pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(deployment["spec"]["replicas"], 1);
  EXPECT_EQ(pod["serviceAccountName"], "gatehouse-web");
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], "gatehouse:1.0");
  EXPECT_EQ(container["args"], (Json{"dataplane", "--controller", "gatehouse.gatehouse-system.svc:15010", "--gateway", "infra/web",
                                     "--token-file", "/var/run/secrets/gatehouse/token", "--bind-address", "$(POD_IP)",
                                     "--admin-address", "$(POD_IP):15021"}));
  EXPECT_EQ(container["env"][1], (Json{{"name", "GATEHOUSE_CONTROLLER_CA"}, {"value", "-----BEGIN CERTIFICATE-----\n"}}));
  EXPECT_EQ(pod["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"],
            (Json{{"audience", "gatehouse.dev/config-stream"}, {"expirationSeconds", 3600}, {"path", "token"}}));
  EXPECT_EQ(deployment["spec"]["selector"]["matchLabels"], (Json{{"gatehouse.dev/data-plane", "gatehouse-web"}}));
  EXPECT_FALSE(container.contains("resources"));
}

TEST(RenderDataPlane, PodIsReadyOnceItsConfigIsLiveAndAliveWhileItsAdminApiAnswers) {
  const Json container = renderDataPlane(webSpec())[1]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["ports"][0], (Json{{"name", "admin"}, {"containerPort", 15021}, {"protocol", "TCP"}}));
  EXPECT_EQ(container["readinessProbe"],
            (Json{{"httpGet", {{"path", "/ready"}, {"port", "admin"}}}, {"periodSeconds", 2}, {"failureThreshold", 1}}));
  EXPECT_EQ(container["livenessProbe"],
            (Json{{"httpGet", {{"path", "/healthz"}, {"port", "admin"}}}, {"periodSeconds", 10}, {"failureThreshold", 3}}));
}

TEST(RenderDataPlane, ServiceIsALoadBalancerOnTheListenerPortsByDefault) {
  const Json service = renderDataPlane(webSpec())[2];
  EXPECT_EQ(service["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(service["spec"]["selector"], (Json{{"gatehouse.dev/data-plane", "gatehouse-web"}}));
  EXPECT_EQ(service["spec"]["ports"],
            (Json{{{"name", "tcp-80"}, {"port", 80}, {"targetPort", 80}, {"protocol", "TCP"}},
                  {{"name", "tcp-443"}, {"port", 443}, {"targetPort", 443}, {"protocol", "TCP"}}}));
}

TEST(RenderDataPlane, StaticAddressesBecomeTheServicesExternalIps) {
  EXPECT_FALSE(renderDataPlane(webSpec())[2]["spec"].contains("externalIPs"));
  DataPlaneSpec spec = webSpec();
  spec.addresses = {"192.0.2.1", "2001:db8::1"};
  EXPECT_EQ(renderDataPlane(spec)[2]["spec"]["externalIPs"], (Json{"192.0.2.1", "2001:db8::1"}));
}

TEST(RenderDataPlane, InfrastructureLabelsAndAnnotationsGoOnEveryObjectAndThePods) {
  auto spec = webSpec();
  spec.infrastructure = {{"labels", {{"team", "payments"}}}, {"annotations", {{"example.com/owner", "alice"}}}};
  const auto objects = renderDataPlane(spec);
  for (const auto& o : objects) {
    EXPECT_EQ(o["metadata"]["labels"]["team"], "payments") << o["kind"];
    EXPECT_EQ(o["metadata"]["annotations"]["example.com/owner"], "alice") << o["kind"];
  }
  EXPECT_EQ(objects[1]["spec"]["template"]["metadata"]["labels"]["team"], "payments");
  EXPECT_EQ(objects[1]["spec"]["template"]["metadata"]["annotations"]["example.com/owner"], "alice");
}

TEST(RenderDataPlane, ParametersSetReplicasServiceTypeResourcesAndExtraAnnotations) {
  auto spec = webSpec();
  spec.infrastructure = {{"annotations", {{"a", "from-gateway"}, {"b", "from-gateway"}}}};
  spec.parameters = {{"replicas", 3},
                     {"serviceType", "ClusterIP"},
                     {"resources", {{"requests", {{"cpu", "100m"}}}}},
                     {"annotations", {{"b", "from-parameters"}}}};
  const auto objects = renderDataPlane(spec);
  EXPECT_EQ(objects[1]["spec"]["replicas"], 3);
  EXPECT_EQ(objects[2]["spec"]["type"], "ClusterIP");
  EXPECT_EQ(objects[1]["spec"]["template"]["spec"]["containers"][0]["resources"], (Json{{"requests", {{"cpu", "100m"}}}}));
  EXPECT_EQ(objects[2]["metadata"]["annotations"]["a"], "from-gateway");
  EXPECT_EQ(objects[2]["metadata"]["annotations"]["b"], "from-parameters");
}

// The data plane's own flags after the fixed ones (PodRunsTheDataPlane... lists those).
Json observabilityArgsOf(const Json& parameters) {
  auto spec = webSpec();
  spec.parameters = parameters;
  const Json args = renderDataPlane(spec)[1]["spec"]["template"]["spec"]["containers"][0]["args"];
  return Json(args.begin() + 11, args.end());
}

TEST(RenderDataPlane, ParametersAccessLogTracingAndMetricsBecomeTheDataPlanesFlags) {
  EXPECT_EQ(observabilityArgsOf({{"accessLog", {{"path", "/var/log/gatehouse/access.log"},
                                                {"fields", {"status", "path", "trace_id"}},
                                                {"sampling", 0.25}}},
                                 {"tracing", {{"otlpEndpoint", "http://collector:4318"}, {"sampling", 0.1}}},
                                 {"metrics", {{"perRouteLabels", false}, {"requests", false}}}}),
            (Json{"--access-log", "/var/log/gatehouse/access.log", "--access-log-fields", "status,path,trace_id",
                  "--access-log-sampling", "0.25", "--otlp-endpoint", "http://collector:4318", "--trace-sampling", "0.1",
                  "--metrics-per-route-labels", "false", "--request-metrics", "false"}));
}

TEST(RenderDataPlane, AnAccessLogFileGetsAWritableVolumeOnItsDirectory) {
  auto spec = webSpec();
  spec.parameters = {{"accessLog", {{"path", "/var/log/gatehouse/access.log"}}}};
  const Json pod = renderDataPlane(spec)[1]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][1], (Json{{"name", "access-log"}, {"mountPath", "/var/log/gatehouse"}}));
  EXPECT_EQ(pod["volumes"][1], (Json{{"name", "access-log"}, {"emptyDir", Json::object()}}));
  EXPECT_EQ(pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"], true);
}

TEST(RenderDataPlane, AnAccessLogToStdoutNeedsNoVolume) {
  auto spec = webSpec();
  spec.parameters = {{"accessLog", {{"path", "-"}}}};
  const Json pod = renderDataPlane(spec)[1]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["volumeMounts"].size(), 1u);
  EXPECT_EQ(pod["volumes"].size(), 1u);
}

TEST(RenderDataPlane, AnEmptyAccessLogLogsEveryFieldOfEveryRequestToStdout) {
  EXPECT_EQ(observabilityArgsOf({{"accessLog", Json::object()}}), (Json{"--access-log", "-"}));
}

TEST(RenderDataPlane, TracingWithoutSamplingAndPerRouteLabelsOnPassOnlyWhatIsGiven) {
  EXPECT_EQ(observabilityArgsOf({{"tracing", {{"otlpEndpoint", "http://c"}}}, {"metrics", {{"perRouteLabels", true}}}}),
            (Json{"--otlp-endpoint", "http://c", "--metrics-per-route-labels", "true"}));
}

TEST(RenderDataPlane, ParametersRateLimitRedisBecomesTheDataPlanesRedisFlags) {
  EXPECT_EQ(observabilityArgsOf({{"rateLimit", {{"redis", {{"address", "redis.infra.svc:6379"}, {"timeout", "20ms"}}}}}}),
            (Json{"--rate-limit-redis", "redis.infra.svc:6379", "--rate-limit-redis-timeout", "20ms"}));
  EXPECT_EQ(observabilityArgsOf({{"rateLimit", {{"redis", {{"address", "[fd00::7]:6380"}}}}}}),
            (Json{"--rate-limit-redis", "[fd00::7]:6380"}));
}

Json redisWithAuthAndTls() {
  return {{"rateLimit",
           {{"redis",
             {{"address", "redis.infra.svc:6380"},
              {"username", "limiter"},
              {"passwordSecretRef", {{"name", "redis-auth"}, {"key", "password"}}},
              {"tls",
               {{"caCertificateRef", {{"name", "redis-ca"}, {"key", "ca.pem"}}},
                {"serverName", "redis.example"},
                {"clientCertificateRef", {{"name", "redis-client"}}}}}}}}}};
}

TEST(RenderDataPlane, RedisAuthAndTlsBecomeFlagsNamingTheMountedFiles) {
  EXPECT_EQ(observabilityArgsOf(redisWithAuthAndTls()),
            (Json{"--rate-limit-redis", "redis.infra.svc:6380", "--rate-limit-redis-username", "limiter",
                  "--rate-limit-redis-password-file", "/var/run/secrets/gatehouse-redis/password/password",
                  "--rate-limit-redis-tls", "--rate-limit-redis-ca-file", "/var/run/secrets/gatehouse-redis/ca/ca.crt",
                  "--rate-limit-redis-server-name", "redis.example", "--rate-limit-redis-cert-file",
                  "/var/run/secrets/gatehouse-redis/client/tls.crt", "--rate-limit-redis-key-file",
                  "/var/run/secrets/gatehouse-redis/client/tls.key"}));
  // TLS alone: the system's trust store, the address's host as the server name.
  EXPECT_EQ(observabilityArgsOf({{"rateLimit", {{"redis", {{"address", "r:6379"}, {"tls", Json::object()}}}}}}),
            (Json{"--rate-limit-redis", "r:6379", "--rate-limit-redis-tls"}));
}

TEST(RenderDataPlane, RedisSecretsAndConfigMapAreMountedReadOnlyFromTheGatewaysNamespace) {
  auto spec = webSpec();
  spec.parameters = redisWithAuthAndTls();
  const Json pod = renderDataPlane(spec)[1]["spec"]["template"]["spec"];
  const Json mounts = pod["containers"][0]["volumeMounts"];
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[1], (Json{{"name", "redis-password"}, {"mountPath", "/var/run/secrets/gatehouse-redis/password"},
                             {"readOnly", true}}));
  EXPECT_EQ(mounts[2],
            (Json{{"name", "redis-ca"}, {"mountPath", "/var/run/secrets/gatehouse-redis/ca"}, {"readOnly", true}}));
  EXPECT_EQ(mounts[3], (Json{{"name", "redis-client-certificate"},
                             {"mountPath", "/var/run/secrets/gatehouse-redis/client"},
                             {"readOnly", true}}));
  // Volumes name no namespace: a pod's Secrets and ConfigMaps are those of its own, the Gateway's.
  ASSERT_EQ(pod["volumes"].size(), 4u);
  const Json password_items = Json::array({{{"key", "password"}, {"path", "password"}}});
  EXPECT_EQ(pod["volumes"][1], (Json{{"name", "redis-password"},
                                     {"secret", {{"secretName", "redis-auth"}, {"items", password_items}}}}));
  const Json ca_items = Json::array({{{"key", "ca.pem"}, {"path", "ca.crt"}}});
  EXPECT_EQ(pod["volumes"][2], (Json{{"name", "redis-ca"}, {"configMap", {{"name", "redis-ca"}, {"items", ca_items}}}}));
  const Json client_items =
      Json::array({{{"key", "tls.crt"}, {"path", "tls.crt"}}, {{"key", "tls.key"}, {"path", "tls.key"}}});
  EXPECT_EQ(pod["volumes"][3], (Json{{"name", "redis-client-certificate"},
                                     {"secret", {{"secretName", "redis-client"}, {"items", client_items}}}}));
  EXPECT_EQ(renderDataPlane(spec)[1]["metadata"]["namespace"], "infra");
}

TEST(RenderDataPlane, RedisWithoutAuthOrTlsMountsNothing) {
  auto spec = webSpec();
  spec.parameters = {{"rateLimit", {{"redis", {{"address", "r:6379"}}}}}};
  const Json pod = renderDataPlane(spec)[1]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["volumeMounts"].size(), 1u);
  EXPECT_EQ(pod["volumes"].size(), 1u);
}

TEST(RenderDataPlane, NoObservabilityParametersAddNoFlags) {
  EXPECT_EQ(observabilityArgsOf({{"replicas", 2}}), Json::array());
}

TEST(RenderDataPlane, LongGatewayNameGivesValidDerivedNamesAndLabelValues) {
  auto spec = webSpec();
  spec.gateway = std::string(253, 'g');
  const auto objects = renderDataPlane(spec);
  const std::string name = objects[0]["metadata"]["name"];
  EXPECT_EQ(name.size(), 63u);
  EXPECT_EQ(objects[1]["metadata"]["labels"]["gatehouse.dev/data-plane"], name);  // label values: at most 63
  EXPECT_EQ(objects[1]["spec"]["template"]["spec"]["containers"][0]["args"][4], "infra/" + spec.gateway);
  EXPECT_EQ(objects[2]["metadata"]["ownerReferences"][0]["name"], spec.gateway);
}

}  // namespace
}  // namespace gatehouse::providers::kube
