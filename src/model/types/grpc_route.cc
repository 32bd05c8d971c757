#include "model/types/grpc_route.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

using Json = nlohmann::json;

namespace {

GRPCRouteMatch match(const Json& m) {
  GRPCRouteMatch out;
  if (auto it = m.find("method"); it != m.end() && it->is_object()) {
    out.method = GRPCMethodMatch{str(*it, "type", "Exact"), decoding::optionalString(*it, "service"),
                                 decoding::optionalString(*it, "method")};
  }
  for (const auto& h : arr(m, "headers")) out.headers.push_back({str(h, "type", "Exact"), str(h, "name"), str(h, "value")});
  return out;
}

GRPCRouteRule rule(const Json& r, const std::string& ns) {
  GRPCRouteRule out;
  out.name = str(r, "name");
  for (const auto& m : arr(r, "matches")) out.matches.push_back(match(m));
  out.filters = decodeHTTPRouteFilters(arr(r, "filters"), ns);
  out.backend_refs = decodeHTTPBackendRefs(arr(r, "backendRefs"), ns);
  return out;
}

}  // namespace

std::shared_ptr<const TypedObject> decodeGRPCRoute(const Json& object) {
  auto out = std::make_shared<GRPCRoute>();
  const std::string ns = decoding::namespaceOf(object);
  const Json& spec = obj(object, "spec");
  for (const auto& p : arr(spec, "parentRefs")) out->parent_refs.push_back(decoding::parentRef(p, ns));
  out->hostnames = decoding::strings(arr(spec, "hostnames"));
  for (const auto& r : arr(spec, "rules")) out->rules.push_back(rule(r, ns));
  return out;
}

}  // namespace gatehouse::model
