#pragma once
// GatewayClass, Gateway and ListenerSet (gateway.networking.k8s.io/v1).
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

// A parametersRef: GatewayClass's (ParametersReference; `ns` empty for a cluster-scoped
// referent) or a Gateway's infrastructure one (LocalParametersReference; `ns` is the Gateway's).
struct ParametersRef {
  std::string group, kind, ns, name;
};

struct GatewayClass : TypedObject {
  std::string controller_name;
  std::optional<ParametersRef> parameters_ref;
};

struct RouteGroupKind {
  std::string group, kind;
};

struct AllowedRoutes {
  std::string namespaces_from = "Same";  // All, Same, Selector
  LabelSelector selector;                // with from: Selector
  std::vector<RouteGroupKind> kinds;     // empty: the kinds the listener's protocol serves
};

struct GatewayTls {
  std::string mode = "Terminate";  // Terminate, Passthrough
  std::vector<SecretObjectRef> certificate_refs;
};

struct Listener {
  std::string name, protocol;
  std::string hostname;  // "" when absent: any
  int32_t port = 0;
  std::optional<GatewayTls> tls;
  AllowedRoutes allowed_routes;
};

struct GatewayAddress {
  std::string type = "IPAddress";
  std::string value;  // "" asks for an assigned address
};

// Which ListenerSets may add listeners to a Gateway (spec.allowedListeners.namespaces).
struct AllowedListeners {
  std::string namespaces_from = "None";  // None, Same, All, Selector
  LabelSelector selector;                // with from: Selector
};

// spec.tls.frontend: client certificate validation, the default and per port.
struct FrontendValidation {
  std::vector<ObjectRef> ca_certificate_refs;  // namespace resolved to the Gateway's
  bool allow_insecure_fallback = false;        // mode AllowInsecureFallback (default AllowValidOnly)
};

struct FrontendTls {
  std::optional<FrontendValidation> default_validation;
  // perPort[].tls.validation by port; nullopt: that port validates no client certificate.
  std::vector<std::pair<int32_t, std::optional<FrontendValidation>>> per_port;
};

struct Gateway : TypedObject {
  std::string class_name;
  std::vector<GatewayAddress> addresses;
  std::vector<Listener> listeners;
  AllowedListeners allowed_listeners;
  std::optional<ParametersRef> infrastructure_parameters_ref;
  FrontendTls frontend_tls;
  std::optional<SecretObjectRef> backend_client_certificate;  // spec.tls.backend.clientCertificateRef
};

// Listeners another object (often another namespace) adds to a Gateway.
struct ListenerSet : TypedObject {
  ParentRef parent;  // spec.parentRef (no sectionName or port)
  std::vector<Listener> listeners;
};

std::shared_ptr<const TypedObject> decodeGatewayClass(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeGateway(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeListenerSet(const nlohmann::json& object);

}  // namespace gatehouse::model
