#include "model/types/http_route.h"

#include "model/duration.h"
#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

using Json = nlohmann::json;

namespace {

HTTPHeaderModifier headerModifier(const Json& j) {
  HTTPHeaderModifier out;
  for (const auto& h : arr(j, "set")) out.set.push_back({str(h, "name"), str(h, "value")});
  for (const auto& h : arr(j, "add")) out.add.push_back({str(h, "name"), str(h, "value")});
  out.remove = decoding::strings(arr(j, "remove"));
  return out;
}

std::optional<HTTPPathModifier> pathModifier(const Json& j) {
  if (j.empty()) return std::nullopt;
  const std::string type = str(j, "type");
  return HTTPPathModifier{type, str(j, type == "ReplacePrefixMatch" ? "replacePrefixMatch" : "replaceFullPath")};
}

HTTPRouteFilter filter(const Json& f, const std::string& ns) {
  HTTPRouteFilter out;
  out.type = str(f, "type");
  if (out.type == "RequestHeaderModifier") {
    out.request_header_modifier = headerModifier(obj(f, "requestHeaderModifier"));
  } else if (out.type == "ResponseHeaderModifier") {
    out.response_header_modifier = headerModifier(obj(f, "responseHeaderModifier"));
  } else if (out.type == "RequestRedirect") {
    const Json& r = obj(f, "requestRedirect");
    HTTPRequestRedirect redirect;
    redirect.scheme = decoding::optionalString(r, "scheme");
    redirect.hostname = decoding::optionalString(r, "hostname");
    if (auto it = r.find("port"); it != r.end() && it->is_number_integer()) redirect.port = it->get<int32_t>();
    redirect.path = pathModifier(obj(r, "path"));
    redirect.status_code = static_cast<int32_t>(integer(r, "statusCode", 302));
    out.request_redirect = std::move(redirect);
  } else if (out.type == "URLRewrite") {
    const Json& r = obj(f, "urlRewrite");
    out.url_rewrite = HTTPURLRewrite{decoding::optionalString(r, "hostname"), pathModifier(obj(r, "path"))};
  } else if (out.type == "RequestMirror") {
    const Json& m = obj(f, "requestMirror");
    HTTPRequestMirror mirror;
    mirror.backend_ref = decoding::backendObjectRef(obj(m, "backendRef"), ns);
    if (m.contains("percent")) mirror.percent = static_cast<int32_t>(integer(m, "percent", 100));
    if (m.contains("fraction")) {
      const Json& fr = obj(m, "fraction");
      mirror.fraction = HTTPRequestMirror::Fraction{static_cast<int32_t>(integer(fr, "numerator", 0)),
                                                    static_cast<int32_t>(integer(fr, "denominator", 100))};
    }
    out.request_mirror = std::move(mirror);
  } else if (out.type == "CORS") {
    const Json& c = obj(f, "cors");
    HTTPCORSFilter cors;
    cors.allow_origins = decoding::strings(arr(c, "allowOrigins"));
    cors.allow_methods = decoding::strings(arr(c, "allowMethods"));
    cors.allow_headers = decoding::strings(arr(c, "allowHeaders"));
    cors.expose_headers = decoding::strings(arr(c, "exposeHeaders"));
    if (auto it = c.find("allowCredentials"); it != c.end() && it->is_boolean()) cors.allow_credentials = it->get<bool>();
    cors.max_age = static_cast<int32_t>(integer(c, "maxAge", 5));
    out.cors = std::move(cors);
  }
  return out;
}

std::vector<HTTPStringMatch> stringMatches(const Json& list) {
  std::vector<HTTPStringMatch> out;
  for (const auto& m : list) out.push_back({str(m, "type", "Exact"), str(m, "name"), str(m, "value")});
  return out;
}

HTTPRouteMatch match(const Json& m) {
  HTTPRouteMatch out;
  const Json& path = obj(m, "path");
  out.path = {str(path, "type", "PathPrefix"), str(path, "value", "/")};
  out.headers = stringMatches(arr(m, "headers"));
  out.query_params = stringMatches(arr(m, "queryParams"));
  out.method = decoding::optionalString(m, "method");
  return out;
}

HTTPRouteRule rule(const Json& r, const std::string& ns) {
  HTTPRouteRule out;
  out.name = str(r, "name");
  for (const auto& m : arr(r, "matches")) out.matches.push_back(match(m));
  out.filters = decodeHTTPRouteFilters(arr(r, "filters"), ns);
  out.backend_refs = decodeHTTPBackendRefs(arr(r, "backendRefs"), ns);
  const Json& timeouts = obj(r, "timeouts");
  out.request_timeout_ms = parseDurationMs(str(timeouts, "request"));
  out.backend_request_timeout_ms = parseDurationMs(str(timeouts, "backendRequest"));
  if (auto it = r.find("retry"); it != r.end() && it->is_object()) {
    HTTPRouteRetry retry;
    for (const auto& code : arr(*it, "codes")) {
      if (code.is_number_integer()) retry.codes.push_back(code.get<int32_t>());
    }
    if (auto a = it->find("attempts"); a != it->end() && a->is_number_integer()) retry.attempts = a->get<int32_t>();
    if (it->contains("backoff")) retry.backoff_ms = parseDurationMs(str(*it, "backoff"));
    out.retry = std::move(retry);
  }
  return out;
}

}  // namespace

std::vector<HTTPRouteFilter> decodeHTTPRouteFilters(const Json& list, const std::string& ns) {
  std::vector<HTTPRouteFilter> out;
  for (const auto& f : list) out.push_back(filter(f, ns));
  return out;
}

std::shared_ptr<const TypedObject> decodeHTTPRoute(const Json& object) {
  auto out = std::make_shared<HTTPRoute>();
  const std::string ns = decoding::namespaceOf(object);
  const Json& spec = obj(object, "spec");
  for (const auto& p : arr(spec, "parentRefs")) out->parent_refs.push_back(decoding::parentRef(p, ns));
  out->hostnames = decoding::strings(arr(spec, "hostnames"));
  for (const auto& r : arr(spec, "rules")) out->rules.push_back(rule(r, ns));
  return out;
}

std::vector<HTTPBackendRef> decodeHTTPBackendRefs(const Json& list, const std::string& ns) {
  std::vector<HTTPBackendRef> out;
  for (const auto& ref : list)
    out.push_back({decoding::backendObjectRef(ref, ns), static_cast<int32_t>(integer(ref, "weight", 1)),
                   decodeHTTPRouteFilters(arr(ref, "filters"), ns)});
  return out;
}

}  // namespace gatehouse::model
