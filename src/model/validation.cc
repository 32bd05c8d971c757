#include "model/validation.h"

#include "model/core_defaults.h"
#include "model/kind_schemas.h"

namespace gatehouse::model {

std::ostream& operator<<(std::ostream& os, const FieldError& error) {
  return os << error.field << ": " << error.reason;
}

namespace {

struct KindInfo {
  std::string_view kind;
  const schema::Node& (*schema)();
  // apiVersions served; the Gateway API ones are the `served: true` versions of the standard CRDs.
  std::vector<std::string_view> apiVersions;
  bool namespaced;
  void (*extraDefaults)(nlohmann::json&) = nullptr;  // built-in defaults beyond the schema's
};

const std::vector<KindInfo>& registry() {
  static const std::vector<KindInfo> kinds = {
      {"GatewayClass", kinds::gatewayClass,
       {"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"}, false},
      {"Gateway", kinds::gateway,
       {"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"}, true},
      {"ListenerSet", kinds::listenerSet, {"gateway.networking.k8s.io/v1"}, true},
      {"HTTPRoute", kinds::httpRoute,
       {"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"}, true},
      {"GRPCRoute", kinds::grpcRoute, {"gateway.networking.k8s.io/v1"}, true},
      {"TCPRoute", kinds::tcpRoute, {"gateway.networking.k8s.io/v1"}, true},
      {"UDPRoute", kinds::udpRoute, {"gateway.networking.k8s.io/v1"}, true},
      {"TLSRoute", kinds::tlsRoute, {"gateway.networking.k8s.io/v1"}, true},
      {"ReferenceGrant", kinds::referenceGrant,
       {"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"}, true},
      {"BackendTLSPolicy", kinds::backendTLSPolicy, {"gateway.networking.k8s.io/v1"}, true},
      {"GatehouseParameters", kinds::gatehouseParameters, {"gatehouse.dev/v1alpha1"}, true},
      {"RateLimitPolicy", kinds::rateLimitPolicy, {"gatehouse.dev/v1alpha1"}, true},
      {"FaultInjectionPolicy", kinds::faultInjectionPolicy, {"gatehouse.dev/v1alpha1"}, true},
      {"Namespace", kinds::namespace_, {"v1"}, false},
      {"Service", kinds::service, {"v1"}, true, core::serviceDefaults},
      {"EndpointSlice", kinds::endpointSlice, {"discovery.k8s.io/v1"}, true},
      {"Secret", kinds::secret, {"v1"}, true, core::secretDefaults},
      {"ConfigMap", kinds::configMap, {"v1"}, true},
  };
  return kinds;
}

const KindInfo* find(std::string_view kind) {
  for (const auto& info : registry()) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

void defaults(const KindInfo& info, nlohmann::json& object) {
  if (!object.is_object()) return;
  schema::applyDefaults(info.schema(), object);
  if (info.extraDefaults) info.extraDefaults(object);
  // The API server clears metadata.namespace of cluster-scoped objects.
  if (!info.namespaced) {
    auto meta = object.find("metadata");
    if (meta != object.end() && meta->is_object()) meta->erase("namespace");
  }
}

}  // namespace

bool isSupportedKind(std::string_view kind) { return find(kind) != nullptr; }

void applyDefaults(std::string_view kind, nlohmann::json& object) {
  if (const KindInfo* info = find(kind)) defaults(*info, object);
}

std::vector<FieldError> validate(std::string_view kind, const nlohmann::json& object) {
  const KindInfo* info = find(kind);
  if (!info) return {{"kind", "unsupported kind \"" + std::string(kind) + "\""}};
  if (!object.is_object()) return {{"", "must be of type object"}};

  nlohmann::json copy = object;
  defaults(*info, copy);
  copy.erase("status");

  schema::Errors errors;
  const std::string& apiVersion = schema::str(copy, "apiVersion");
  if (!schema::has(copy, "apiVersion")) {
    errors.add("apiVersion", "Required value");
  } else {
    bool served = false;
    std::string supported;
    for (auto v : info->apiVersions) {
      served = served || apiVersion == v;
      supported += (supported.empty() ? "\"" : ", \"") + std::string(v) + "\"";
    }
    if (!served) {
      errors.add("apiVersion",
                 "Unsupported value: " + copy["apiVersion"].dump() + ": supported values: " + supported);
    }
  }
  if (!schema::has(copy, "kind")) {
    errors.add("kind", "Required value");
  } else if (schema::str(copy, "kind") != info->kind) {
    errors.add("kind", "Unsupported value: " + copy["kind"].dump() + ": supported values: \"" +
                           std::string(info->kind) + "\"");
  }
  if (!copy.contains("metadata")) errors.add("metadata", "Required value");
  schema::validate(info->schema(), copy, "", errors);
  return std::move(errors.list());
}

}  // namespace gatehouse::model
