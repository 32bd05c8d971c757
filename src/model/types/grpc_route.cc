#include "model/types/grpc_route.h"

#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

using Json = nlohmann::json;

namespace {

std::optional<std::string> optionalString(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

GRPCRouteMatch match(const Json& m) {
  GRPCRouteMatch out;
  if (auto it = m.find("method"); it != m.end() && it->is_object()) {
    out.method = GRPCMethodMatch{str(*it, "type", "Exact"), optionalString(*it, "service"), optionalString(*it, "method")};
  }
  for (const auto& h : arr(m, "headers")) out.headers.push_back({str(h, "type", "Exact"), str(h, "name"), str(h, "value")});
  return out;
}

GRPCRouteRule rule(const Json& r, const std::string& ns) {
  GRPCRouteRule out;
  out.name = str(r, "name");
  for (const auto& m : arr(r, "matches")) out.matches.push_back(match(m));
  out.filters = decodeHTTPRouteFilters(arr(r, "filters"), ns);
  for (const auto& ref : arr(r, "backendRefs"))
    out.backend_refs.push_back({decoding::backendObjectRef(ref, ns), static_cast<int32_t>(integer(ref, "weight", 1)),
                                decodeHTTPRouteFilters(arr(ref, "filters"), ns)});
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
