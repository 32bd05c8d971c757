#include "providers/kube/data_plane_objects.h"

#include "providers/kube/data_plane_names.h"

namespace gatehouse::providers::kube {

using model::Json;

namespace {

constexpr const char* kTokenDir = "/var/run/secrets/gatehouse";
// The data plane's admin API (/healthz, /ready) on the pod IP, where kubelet's probes go.
constexpr int kAdminPort = 15021;
// spec.rateLimit.redis's Secrets and ConfigMap, each a read-only volume of its own. A Secret
// volume (no subPath) follows the Secret: a rotated password reaches the file, which the data
// plane reads again at its next connect.
constexpr const char* kRedisPasswordDir = "/var/run/secrets/gatehouse-redis/password";
constexpr const char* kRedisCaDir = "/var/run/secrets/gatehouse-redis/ca";
constexpr const char* kRedisClientDir = "/var/run/secrets/gatehouse-redis/client";

Json stringMap(const Json& from) {
  Json out = Json::object();
  if (from.is_object())
    for (const auto& [k, v] : from.items())
      if (v.is_string()) out[k] = v;
  return out;
}

Json metadata(const DataPlaneSpec& spec, const std::string& name) {
  Json labels = spec.infrastructure.is_object() ? stringMap(spec.infrastructure.value("labels", Json::object())) : Json::object();
  labels["app.kubernetes.io/name"] = "gatehouse-dataplane";
  labels["app.kubernetes.io/managed-by"] = "gatehouse";
  labels["gatehouse.dev/data-plane"] = name;
  Json annotations = spec.infrastructure.is_object() ? stringMap(spec.infrastructure.value("annotations", Json::object()))
                                                     : Json::object();
  if (spec.parameters.is_object()) {
    const Json extra = stringMap(spec.parameters.value("annotations", Json::object()));
    for (const auto& [k, v] : extra.items()) annotations[k] = v;
  }
  annotations["gatehouse.dev/gateway"] = spec.ns + "/" + spec.gateway;
  return {{"name", name},
          {"namespace", spec.ns},
          {"labels", labels},
          {"annotations", annotations},
          {"ownerReferences",
           {{{"apiVersion", "gateway.networking.k8s.io/v1"},
             {"kind", "Gateway"},
             {"name", spec.gateway},
             {"uid", spec.gateway_uid},
             {"controller", true},
             {"blockOwnerDeletion", true}}}}};
}

// spec.rateLimit.redis, or null.
const Json* redisParams(const Json& params) {
  const auto limits = params.find("rateLimit");
  if (limits == params.end() || !limits->is_object()) return nullptr;
  const auto redis = limits->find("redis");
  if (redis == limits->end() || !redis->is_object() || !redis->contains("address")) return nullptr;
  return &*redis;
}

void addRedisArgs(const Json& redis, std::vector<std::string>& args) {
  args.insert(args.end(), {"--rate-limit-redis", redis.value("address", "")});
  if (const auto timeout = redis.find("timeout"); timeout != redis.end() && timeout->is_string())
    args.insert(args.end(), {"--rate-limit-redis-timeout", timeout->get<std::string>()});
  if (redis.contains("passwordSecretRef")) {
    if (const auto user = redis.find("username"); user != redis.end() && user->is_string())
      args.insert(args.end(), {"--rate-limit-redis-username", user->get<std::string>()});
    args.insert(args.end(), {"--rate-limit-redis-password-file", std::string(kRedisPasswordDir) + "/password"});
  }
  const auto tls = redis.find("tls");
  if (tls == redis.end() || !tls->is_object()) return;
  args.emplace_back("--rate-limit-redis-tls");
  if (tls->contains("caCertificateRef"))
    args.insert(args.end(), {"--rate-limit-redis-ca-file", std::string(kRedisCaDir) + "/ca.crt"});
  if (const auto name = tls->find("serverName"); name != tls->end() && name->is_string())
    args.insert(args.end(), {"--rate-limit-redis-server-name", name->get<std::string>()});
  if (tls->contains("clientCertificateRef")) {
    args.insert(args.end(), {"--rate-limit-redis-cert-file", std::string(kRedisClientDir) + "/tls.crt",
                             "--rate-limit-redis-key-file", std::string(kRedisClientDir) + "/tls.key"});
  }
}

// The volume `name` with `source` (a secret or configMap volume source), mounted read-only on `dir`.
void mountReadOnly(Json& container, Json& volumes, const std::string& name, const char* dir, Json source) {
  container["volumeMounts"].push_back({{"name", name}, {"mountPath", dir}, {"readOnly", true}});
  Json volume = {{"name", name}};
  volume.update(source);
  volumes.push_back(std::move(volume));
}

// The files addRedisArgs() names: each key of a Secret or ConfigMap in the Gateway's namespace
// (a pod mounts only its own namespace's), at a fixed path.
void mountRedisFiles(const Json& redis, Json& container, Json& volumes) {
  if (const auto ref = redis.find("passwordSecretRef"); ref != redis.end() && ref->is_object()) {
    mountReadOnly(container, volumes, "redis-password", kRedisPasswordDir,
                  {{"secret",
                    {{"secretName", ref->value("name", "")},
                     {"items", Json::array({{{"key", ref->value("key", "")}, {"path", "password"}}})}}}});
  }
  const auto tls = redis.find("tls");
  if (tls == redis.end() || !tls->is_object()) return;
  if (const auto ref = tls->find("caCertificateRef"); ref != tls->end() && ref->is_object()) {
    mountReadOnly(container, volumes, "redis-ca", kRedisCaDir,
                  {{"configMap",
                    {{"name", ref->value("name", "")},
                     {"items", Json::array({{{"key", ref->value("key", "")}, {"path", "ca.crt"}}})}}}});
  }
  if (const auto ref = tls->find("clientCertificateRef"); ref != tls->end() && ref->is_object()) {
    mountReadOnly(container, volumes, "redis-client-certificate", kRedisClientDir,
                  {{"secret",
                    {{"secretName", ref->value("name", "")},
                     {"items", Json::array({{{"key", "tls.crt"}, {"path", "tls.crt"}},
                                            {{"key", "tls.key"}, {"path", "tls.key"}}})}}}});
  }
}

// GatehouseParameters' accessLog, tracing, metrics and rateLimit as the data plane's flags (the
// schema has checked their types and ranges).
std::vector<std::string> observabilityArgs(const Json& params) {
  std::vector<std::string> args;
  if (const auto log = params.find("accessLog"); log != params.end() && log->is_object()) {
    args.insert(args.end(), {"--access-log", log->value("path", "-")});
    if (const auto fields = log->find("fields"); fields != log->end() && fields->is_array() && !fields->empty()) {
      std::string list;
      for (const auto& f : *fields)
        if (f.is_string()) list += (list.empty() ? "" : ",") + f.get<std::string>();
      args.insert(args.end(), {"--access-log-fields", list});
    }
    if (const auto sampling = log->find("sampling"); sampling != log->end() && sampling->is_number())
      args.insert(args.end(), {"--access-log-sampling", sampling->dump()});
  }
  if (const auto tracing = params.find("tracing"); tracing != params.end() && tracing->is_object()) {
    if (const auto url = tracing->find("otlpEndpoint"); url != tracing->end() && url->is_string()) {
      args.insert(args.end(), {"--otlp-endpoint", url->get<std::string>()});
      if (const auto sampling = tracing->find("sampling"); sampling != tracing->end() && sampling->is_number())
        args.insert(args.end(), {"--trace-sampling", sampling->dump()});
    }
  }
  if (const auto metrics = params.find("metrics"); metrics != params.end() && metrics->is_object()) {
    if (const auto per_route = metrics->find("perRouteLabels"); per_route != metrics->end() && per_route->is_boolean())
      args.insert(args.end(), {"--metrics-per-route-labels", per_route->get<bool>() ? "true" : "false"});
    if (const auto requests = metrics->find("requests"); requests != metrics->end() && requests->is_boolean())
      args.insert(args.end(), {"--request-metrics", requests->get<bool>() ? "true" : "false"});
  }
  if (const Json* redis = redisParams(params)) addRedisArgs(*redis, args);
  return args;
}

// The file spec.accessLog.path names, or "" (no access log, or the container's log).
std::string accessLogFile(const Json& params) {
  const auto log = params.find("accessLog");
  if (log == params.end() || !log->is_object()) return "";
  const std::string path = log->value("path", "-");
  return path == "-" ? "" : path;
}

}  // namespace

std::vector<Json> renderDataPlane(const DataPlaneSpec& spec) {
  const std::string name = dataPlaneName(spec.gateway);
  const Json meta = metadata(spec, name);
  const Json selector = {{"gatehouse.dev/data-plane", name}};
  const Json params = spec.parameters.is_object() ? spec.parameters : Json::object();

  Json account = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", meta}, {"automountServiceAccountToken", false}};

  Json container_ports = Json::array({{{"name", "admin"}, {"containerPort", kAdminPort}, {"protocol", "TCP"}}});
  Json service_ports = Json::array();
  for (const auto& p : spec.ports) {
    const std::string port_name = (p.protocol == "UDP" ? "udp-" : "tcp-") + std::to_string(p.port);
    container_ports.push_back({{"name", port_name}, {"containerPort", p.port}, {"protocol", p.protocol}});
    service_ports.push_back({{"name", port_name}, {"port", p.port}, {"targetPort", p.port}, {"protocol", p.protocol}});
  }
  Json container = {
      {"name", "dataplane"},
      {"image", spec.image},
      {"args", {"dataplane", "--controller", spec.controller, "--gateway", spec.ns + "/" + spec.gateway, "--token-file",
                std::string(kTokenDir) + "/token", "--bind-address", "$(POD_IP)", "--admin-address",
                "$(POD_IP):" + std::to_string(kAdminPort)}},
      {"env",
       {{{"name", "POD_IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
        {{"name", "GATEHOUSE_CONTROLLER_CA"}, {"value", spec.controller_ca}}}},
      {"ports", container_ports},
      // Ready once the controller's config is live (a new pod gets traffic only then); alive while
      // the process answers, controller or not: it keeps serving its last config.
      {"readinessProbe", {{"httpGet", {{"path", "/ready"}, {"port", "admin"}}}, {"periodSeconds", 2}, {"failureThreshold", 1}}},
      {"livenessProbe", {{"httpGet", {{"path", "/healthz"}, {"port", "admin"}}}, {"periodSeconds", 10}, {"failureThreshold", 3}}},
      {"volumeMounts", {{{"name", "config-stream-token"}, {"mountPath", kTokenDir}, {"readOnly", true}}}},
      {"securityContext",
       {{"runAsNonRoot", true}, {"readOnlyRootFilesystem", true}, {"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", {"ALL"}}}}}}};
  if (params.contains("resources")) container["resources"] = params["resources"];
  for (auto& arg : observabilityArgs(params)) container["args"].push_back(std::move(arg));
  Json token_volume = {
      {"name", "config-stream-token"},
      {"projected",
       {{"sources", Json::array({{{"serviceAccountToken",
                                   {{"audience", std::string(kDataPlaneTokenAudience)}, {"expirationSeconds", 3600}, {"path", "token"}}}}})}}}};
  Json volumes = Json::array({token_volume});
  // The root filesystem is read-only: an access log file gets a writable directory of its own,
  // the pod's (the schema holds the path to "/dir.../file").
  if (const std::string path = accessLogFile(params); !path.empty()) {
    container["volumeMounts"].push_back({{"name", "access-log"}, {"mountPath", path.substr(0, path.rfind('/'))}});
    volumes.push_back({{"name", "access-log"}, {"emptyDir", Json::object()}});
  }
  if (const Json* redis = redisParams(params)) mountRedisFiles(*redis, container, volumes);
  Json pod = {{"serviceAccountName", name},
              {"automountServiceAccountToken", false},
              // Listeners below 1024 without root (see deploy/deployment.yaml).
              {"securityContext", {{"sysctls", Json::array({{{"name", "net.ipv4.ip_unprivileged_port_start"}, {"value", "0"}}})}}},
              {"containers", Json::array({container})},
              {"volumes", volumes}};
  Json deployment = {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", meta}};
  deployment["spec"] = {{"replicas", params.value("replicas", 1)},
                        {"selector", {{"matchLabels", selector}}},
                        {"template", {{"metadata", {{"labels", meta["labels"]}, {"annotations", meta["annotations"]}}}, {"spec", pod}}}};

  Json service = {{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", meta},
                  {"spec", {{"type", params.value("serviceType", "LoadBalancer")}, {"selector", selector}, {"ports", service_ports}}}};
  if (!spec.addresses.empty()) service["spec"]["externalIPs"] = spec.addresses;
  return {account, deployment, service};
}

}  // namespace gatehouse::providers::kube
