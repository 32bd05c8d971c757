#include "model/types/decode.h"

#include <map>

#include "model/types/backend_tls_policy.h"
#include "model/types/core.h"
#include "model/types/gateway.h"
#include "model/types/grpc_route.h"
#include "model/types/http_route.h"
#include "model/types/l4_route.h"
#include "model/types/policy.h"
#include "model/types/reference_grant.h"

namespace gatehouse::model {

namespace {

using Decoder = std::shared_ptr<const TypedObject> (*)(const nlohmann::json&);

// One entry per kind the translator reads.
const std::map<std::string_view, Decoder>& decoders() {
  static const std::map<std::string_view, Decoder> table = {
      {"GatewayClass", decodeGatewayClass}, {"Gateway", decodeGateway},
      {"ListenerSet", decodeListenerSet},   {"HTTPRoute", decodeHTTPRoute},
      {"GRPCRoute", decodeGRPCRoute},
      {"ReferenceGrant", decodeReferenceGrant},
      {"Namespace", decodeNamespace},       {"Service", decodeService},
      {"EndpointSlice", decodeEndpointSlice}, {"Secret", decodeSecret},
      {"ConfigMap", decodeConfigMap},
      {"TCPRoute", decodeL4Route},          {"UDPRoute", decodeL4Route},
      {"TLSRoute", decodeL4Route},
      {"BackendTLSPolicy", decodeBackendTLSPolicy},
      {"RateLimitPolicy", decodeRateLimitPolicy},
      {"FaultInjectionPolicy", decodeFaultInjectionPolicy},
  };
  return table;
}

}  // namespace

std::shared_ptr<const TypedObject> decodeTyped(std::string_view kind, const nlohmann::json& object) {
  auto it = decoders().find(kind);
  return it == decoders().end() ? nullptr : it->second(object);
}

}  // namespace gatehouse::model
