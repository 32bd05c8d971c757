#pragma once
// GRPCRoute (gateway.networking.k8s.io/v1). Its filters and backendRefs have HTTPRoute's shape
// (the schema admits only RequestHeaderModifier, ResponseHeaderModifier, RequestMirror and
// ExtensionRef), so they reuse HTTPRoute's types.
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/http_route.h"

namespace gatehouse::model {

struct GRPCMethodMatch {
  std::string type = "Exact";  // Exact, RegularExpression
  std::optional<std::string> service, method;  // absent: any
};

struct GRPCRouteMatch {
  std::optional<GRPCMethodMatch> method;
  std::vector<HTTPStringMatch> headers;
};

struct GRPCRouteRule {
  std::string name;
  std::vector<GRPCRouteMatch> matches;  // empty: match every request
  std::vector<HTTPRouteFilter> filters;
  std::vector<HTTPBackendRef> backend_refs;
};

struct GRPCRoute : Route {
  std::vector<GRPCRouteRule> rules;
};

std::shared_ptr<const TypedObject> decodeGRPCRoute(const nlohmann::json& object);

}  // namespace gatehouse::model
