#include "model/types/gateway.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

using Json = nlohmann::json;

std::shared_ptr<const TypedObject> decodeGatewayClass(const Json& object) {
  auto out = std::make_shared<GatewayClass>();
  const Json& spec = obj(object, "spec");
  out->controller_name = str(spec, "controllerName");
  if (has(spec, "parametersRef")) {
    const Json& ref = obj(spec, "parametersRef");
    out->parameters_ref = ParametersRef{str(ref, "group"), str(ref, "kind"), str(ref, "namespace"), str(ref, "name")};
  }
  return out;
}

namespace {

Listener listener(const Json& l, const std::string& ns) {
  Listener out;
  out.name = str(l, "name");
  out.protocol = str(l, "protocol");
  out.hostname = str(l, "hostname");
  out.port = static_cast<int32_t>(integer(l, "port", 0));
  if (auto tls = l.find("tls"); tls != l.end() && tls->is_object()) {
    GatewayTls t;
    t.mode = str(*tls, "mode", "Terminate");
    for (const auto& ref : arr(*tls, "certificateRefs")) t.certificate_refs.push_back(decoding::secretObjectRef(ref, ns));
    out.tls = std::move(t);
  }
  const Json& allowed = obj(l, "allowedRoutes");
  const Json& namespaces = obj(allowed, "namespaces");
  out.allowed_routes.namespaces_from = str(namespaces, "from", "Same");
  out.allowed_routes.selector = decoding::labelSelector(obj(namespaces, "selector"));
  for (const auto& k : arr(allowed, "kinds"))
    out.allowed_routes.kinds.push_back({str(k, "group", kGatewayGroup), str(k, "kind")});
  return out;
}

std::optional<FrontendValidation> frontendValidation(const Json& tls, const std::string& ns) {
  if (!has(tls, "validation")) return std::nullopt;
  const Json& v = obj(tls, "validation");
  FrontendValidation out;
  for (const auto& ref : arr(v, "caCertificateRefs")) out.ca_certificate_refs.push_back(decoding::objectRef(ref, ns));
  out.allow_insecure_fallback = str(v, "mode", "AllowValidOnly") == "AllowInsecureFallback";
  return out;
}

}  // namespace

std::shared_ptr<const TypedObject> decodeGateway(const Json& object) {
  auto out = std::make_shared<Gateway>();
  const std::string ns = decoding::namespaceOf(object);
  const Json& spec = obj(object, "spec");
  out->class_name = str(spec, "gatewayClassName");
  for (const auto& a : arr(spec, "addresses")) out->addresses.push_back({str(a, "type", "IPAddress"), str(a, "value")});
  for (const auto& l : arr(spec, "listeners")) out->listeners.push_back(listener(l, ns));
  const Json& allowed = obj(obj(spec, "allowedListeners"), "namespaces");
  out->allowed_listeners.namespaces_from = str(allowed, "from", "None");
  out->allowed_listeners.selector = decoding::labelSelector(obj(allowed, "selector"));
  if (const Json& infrastructure = obj(spec, "infrastructure"); has(infrastructure, "parametersRef")) {
    const Json& ref = obj(infrastructure, "parametersRef");
    out->infrastructure_parameters_ref = ParametersRef{str(ref, "group"), str(ref, "kind"), ns, str(ref, "name")};
  }
  const Json& tls = obj(spec, "tls");
  const Json& frontend = obj(tls, "frontend");
  out->frontend_tls.default_validation = frontendValidation(obj(frontend, "default"), ns);
  for (const auto& p : arr(frontend, "perPort"))
    out->frontend_tls.per_port.emplace_back(static_cast<int32_t>(integer(p, "port", 0)),
                                            frontendValidation(obj(p, "tls"), ns));
  if (const Json& backend = obj(tls, "backend"); has(backend, "clientCertificateRef"))
    out->backend_client_certificate = decoding::secretObjectRef(obj(backend, "clientCertificateRef"), ns);
  return out;
}

std::shared_ptr<const TypedObject> decodeListenerSet(const Json& object) {
  auto out = std::make_shared<ListenerSet>();
  const std::string ns = decoding::namespaceOf(object);
  const Json& spec = obj(object, "spec");
  out->parent = decoding::parentRef(obj(spec, "parentRef"), ns);
  for (const auto& l : arr(spec, "listeners")) out->listeners.push_back(listener(l, ns));
  return out;
}

}  // namespace gatehouse::model
