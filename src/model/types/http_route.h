#pragma once
// HTTPRoute (gateway.networking.k8s.io/v1).
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

struct HTTPHeader {
  std::string name, value;
};

struct HTTPHeaderModifier {
  std::vector<HTTPHeader> set, add;
  std::vector<std::string> remove;
};

struct HTTPPathModifier {
  std::string type;   // ReplaceFullPath, ReplacePrefixMatch
  std::string value;  // replaceFullPath or replacePrefixMatch, per type
};

struct HTTPRequestRedirect {
  std::optional<std::string> scheme, hostname;
  std::optional<int32_t> port;
  std::optional<HTTPPathModifier> path;
  int32_t status_code = 302;
};

struct HTTPURLRewrite {
  std::optional<std::string> hostname;
  std::optional<HTTPPathModifier> path;
};

struct HTTPRequestMirror {
  BackendObjectRef backend_ref;
  std::optional<int32_t> percent;
  struct Fraction {
    int32_t numerator = 0, denominator = 100;
  };
  std::optional<Fraction> fraction;
};

// One filter; the member its type names is set (the schema's union rules guarantee it).
struct HTTPCORSFilter {
  std::vector<std::string> allow_origins, allow_methods, allow_headers, expose_headers;
  bool allow_credentials = false;
  int32_t max_age = 5;  // seconds; the CRD default
};

struct HTTPRouteFilter {
  std::string type;
  std::optional<HTTPHeaderModifier> request_header_modifier, response_header_modifier;
  std::optional<HTTPRequestRedirect> request_redirect;
  std::optional<HTTPURLRewrite> url_rewrite;
  std::optional<HTTPRequestMirror> request_mirror;
  std::optional<HTTPCORSFilter> cors;
};

struct HTTPBackendRef {
  BackendObjectRef ref;
  int32_t weight = 1;
  std::vector<HTTPRouteFilter> filters;
};

struct HTTPPathMatch {
  std::string type = "PathPrefix";  // Exact, PathPrefix, RegularExpression
  std::string value = "/";
};

struct HTTPStringMatch {  // a header or query parameter match
  std::string type = "Exact";  // Exact, RegularExpression
  std::string name, value;
};

struct HTTPRouteMatch {
  HTTPPathMatch path;
  std::vector<HTTPStringMatch> headers, query_params;
  std::optional<std::string> method;
};

// GEP-1731 retry (experimental channel); unset fields keep Gatehouse's defaults.
struct HTTPRouteRetry {
  std::vector<int32_t> codes;
  std::optional<int32_t> attempts;
  std::optional<uint64_t> backoff_ms;
};

struct HTTPRouteRule {
  std::string name;
  std::vector<HTTPRouteMatch> matches;  // empty: match every request
  std::vector<HTTPRouteFilter> filters;
  std::vector<HTTPBackendRef> backend_refs;
  // Durations in milliseconds; nullopt when absent (0 disables the timeout).
  std::optional<uint64_t> request_timeout_ms, backend_request_timeout_ms;
  std::optional<HTTPRouteRetry> retry;
};

struct HTTPRoute : Route {
  std::vector<HTTPRouteRule> rules;
};

std::shared_ptr<const TypedObject> decodeHTTPRoute(const nlohmann::json& object);
// A filter list (also GRPCRoute's); `ns` resolves the namespace of mirror backendRefs.
std::vector<HTTPRouteFilter> decodeHTTPRouteFilters(const nlohmann::json& list, const std::string& ns);
// A backendRefs list with weights and filters (also GRPCRoute's).
std::vector<HTTPBackendRef> decodeHTTPBackendRefs(const nlohmann::json& list, const std::string& ns);

}  // namespace gatehouse::model
