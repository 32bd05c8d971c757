#include "providers/kube/data_plane_objects.h"

#include "providers/kube/data_plane_names.h"

namespace gatehouse::providers::kube {

using model::Json;

namespace {

constexpr const char* kTokenDir = "/var/run/secrets/gatehouse";
// The data plane's admin API (/healthz, /ready) on the pod IP, where kubelet's probes go.
constexpr int kAdminPort = 15021;

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
  if (const auto limits = params.find("rateLimit"); limits != params.end() && limits->is_object()) {
    if (const auto redis = limits->find("redis"); redis != limits->end() && redis->is_object()) {
      if (const auto address = redis->find("address"); address != redis->end() && address->is_string()) {
        args.insert(args.end(), {"--rate-limit-redis", address->get<std::string>()});
        if (const auto timeout = redis->find("timeout"); timeout != redis->end() && timeout->is_string())
          args.insert(args.end(), {"--rate-limit-redis-timeout", timeout->get<std::string>()});
      }
    }
  }
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
