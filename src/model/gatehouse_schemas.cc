// Gatehouse's own kind, GatehouseParameters (gatehouse.dev/v1alpha1), as its CRD
// deploy/crd-gatehouseparameters.yaml defines it: what a Gateway's data plane is provisioned
// with when the Gateway's infrastructure.parametersRef, or its GatewayClass's parametersRef,
// names it (docs/design/config-stream.md).
#include "model/gateway_api_types.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

namespace gatehouse::model::kinds {

using namespace schema;

const Node& gatehouseParameters() {
  // A container's resources (core/v1 ResourceRequirements; quantities as the API takes them).
  const Schema quantities = MapOf(IntOrStr());
  const Schema share = Num().min(0).max(1);
  // The data plane's --access-log-fields keys (dataplane/observe/access_log_fields.h).
  const Schema access_log_field = Str().oneOf({"time", "gateway", "listener", "route", "rule", "backend", "endpoint",
                                               "method", "authority", "path", "status", "bytes_received", "bytes_sent",
                                               "duration_ms", "upstream_duration_ms", "upstream_failure",
                                               "upstream_attempts", "trace_id", "client_address"});
  // A key of a Secret or ConfigMap in the Gateway's namespace, where its data plane runs.
  const Schema key_ref =
      Obj({{"name", gwapi::SectionName()}, {"key", Str().minLen(1).maxLen(253).pattern("^[-._a-zA-Z0-9]+$")}})
          .required({"name", "key"});
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"replicas", Int().min(0)},
           {"serviceType", Str().oneOf({"ClusterIP", "NodePort", "LoadBalancer"})},
           {"resources", Obj({{"limits", quantities}, {"requests", quantities}})},
           {"annotations", MapOf(Str())},
           // The data plane's observability flags (docs/observability.md).
           {"accessLog",
            // "-", or a file in a directory other than "/": the provisioner mounts a volume there.
            Obj({{"path", Str().pattern("^(-|(/[^/]+)+/[^/]+)$")}, {"fields", Arr(access_log_field).minItems(1).set()}, {"sampling", share}})},
           {"tracing", Obj({{"otlpEndpoint", Str().pattern("^https?://")}, {"sampling", share}}).required({"otlpEndpoint"})},
           {"metrics", Obj({{"perRouteLabels", Bool()}, {"requests", Bool()}})},
           // The data plane's --rate-limit-redis* flags; the provisioner mounts the Secrets and the
           // ConfigMap named here (docs/policies.md).
           {"rateLimit",
            Obj({{"redis",
                  Obj({{"address", Str().pattern(R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$)")},
                       {"timeout", gwapi::Duration()},
                       {"username", Str().minLen(1).maxLen(256).pattern("^[!-~]+$")},
                       {"passwordSecretRef", key_ref},
                       {"tls", Obj({{"caCertificateRef", key_ref},
                                    {"serverName", Str().minLen(1).maxLen(253).pattern("^[A-Za-z0-9.:-]+$")},
                                    {"clientCertificateRef", Obj({{"name", gwapi::SectionName()}}).required({"name"})}})}})
                      .required({"address"})
                      .rule([](const json& self) { return !self.contains("username") || self.contains("passwordSecretRef"); },
                            "username needs passwordSecretRef")}})}}));
  return s.node();
}

}  // namespace gatehouse::model::kinds
