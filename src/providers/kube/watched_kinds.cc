#include "providers/kube/watched_kinds.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace gatehouse::providers::kube {

namespace {

WatchedKind gatewayApi(std::string kind, std::vector<std::string> versions, std::string plural, bool namespaced = true) {
  return WatchedKind{std::move(kind), "gateway.networking.k8s.io", std::move(versions), std::move(plural), namespaced,
                     false, "", false};
}

WatchedKind builtIn(std::string kind, std::string group, std::string plural, bool namespaced = true,
                    std::string label_selector = "") {
  return WatchedKind{std::move(kind), std::move(group), {"v1"}, std::move(plural), namespaced, true,
                     std::move(label_selector), false};
}

}  // namespace

const std::vector<WatchedKind>& watchedKinds() {
  static const std::vector<WatchedKind> kinds = {
      gatewayApi("GatewayClass", {"v1", "v1beta1"}, "gatewayclasses", false),
      gatewayApi("Gateway", {"v1", "v1beta1"}, "gateways"),
      gatewayApi("ListenerSet", {"v1"}, "listenersets"),
      gatewayApi("HTTPRoute", {"v1", "v1beta1"}, "httproutes"),
      gatewayApi("GRPCRoute", {"v1"}, "grpcroutes"),
      gatewayApi("TLSRoute", {"v1", "v1alpha3", "v1alpha2"}, "tlsroutes"),
      gatewayApi("TCPRoute", {"v1", "v1alpha2"}, "tcproutes"),
      gatewayApi("UDPRoute", {"v1", "v1alpha2"}, "udproutes"),
      gatewayApi("ReferenceGrant", {"v1", "v1beta1"}, "referencegrants"),
      gatewayApi("BackendTLSPolicy", {"v1", "v1alpha3"}, "backendtlspolicies"),
      // Gatehouse's own CRD (deploy/): where its parametersRefs point; skipped where not installed.
      WatchedKind{"GatehouseParameters", "gatehouse.dev", {"v1alpha1"}, "gatehouseparameters", true, false, "", false},
      // Gatehouse's policies (deploy/crds/); skipped where not installed.
      WatchedKind{"RateLimitPolicy", "gatehouse.dev", {"v1alpha1"}, "ratelimitpolicies", true, false, "", false},
      WatchedKind{"FaultInjectionPolicy", "gatehouse.dev", {"v1alpha1"}, "faultinjectionpolicies", true, false, "", false},
      builtIn("Namespace", "", "namespaces", false),
      builtIn("Service", "", "services"),
      builtIn("Secret", "", "secrets"),
      builtIn("ConfigMap", "", "configmaps"),
      // Slices that belong to a Service; others (mirrored, custom) are not ours to read.
      builtIn("EndpointSlice", "discovery.k8s.io", "endpointslices", true, "kubernetes.io%2Fservice-name"),
  };
  return kinds;
}

const WatchedKind& provisionedServices() {
  static const WatchedKind kind{"Service", "", {"v1"}, "services", true, true, "gatehouse.dev%2Fdata-plane", true};
  return kind;
}

std::string ServedKind::path(const std::string& ns, const std::string& name) const {
  std::string out = kind->group.empty() ? "/api/" + version : "/apis/" + kind->group + "/" + version;
  if (!ns.empty()) out += "/namespaces/" + ns;
  out += "/" + kind->plural;
  if (!name.empty()) out += "/" + name;
  return out;
}

boost::asio::awaitable<Result<std::optional<ServedKind>>> Discovery::find(const WatchedKind& kind) {
  if (kind.always_served) co_return std::optional<ServedKind>(ServedKind{&kind, kind.versions.front()});
  for (const auto& version : kind.versions) {
    const std::string group_version = kind.group + "/" + version;
    auto known = resources_.find(group_version);
    if (known == resources_.end()) {
      std::string target = "/apis/" + group_version;  // not a temporary in co_await: see reflector.cc
      auto response = co_await client_.request("GET", std::move(target));
      if (!response) co_return response.error();
      std::vector<std::string> plurals;
      if (response->status == 200) {
        auto list = nlohmann::json::parse(response->body, nullptr, false);
        if (list.is_object() && list.contains("resources") && list["resources"].is_array())
          for (const auto& r : list["resources"])
            if (r.is_object() && r.contains("name") && r["name"].is_string()) plurals.push_back(r["name"].get<std::string>());
      } else if (response->status != 404) {
        co_return Error{"discovery GET /apis/" + group_version + ": HTTP " + std::to_string(response->status)};
      }
      known = resources_.emplace(group_version, std::move(plurals)).first;
    }
    if (std::find(known->second.begin(), known->second.end(), kind.plural) != known->second.end())
      co_return std::optional<ServedKind>(ServedKind{&kind, version});
  }
  co_return std::optional<ServedKind>();
}

}  // namespace gatehouse::providers::kube
