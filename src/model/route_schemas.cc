// HTTPRoute, GRPCRoute, TCPRoute, UDPRoute and TLSRoute, as the v1.6.1 standard CRDs define them:
// ../shared/gateway-api/v1.6.1/crd/standard/gateway.networking.k8s.io_{httproutes,grpcroutes,
// tcproutes,udproutes,tlsroutes}.yaml, plus HTTPRoute's experimental spec.rules[].retry.
#include "model/duration.h"
#include "model/gateway_api_types.h"
#include "model/kind_schemas.h"
#include "model/object_meta.h"

#include <re2/re2.h>

namespace gatehouse::model::kinds {

using namespace schema;
using namespace gwapi;

namespace {

template <typename Pred>
size_t countIf(const json& list, Pred pred) {
  size_t n = 0;
  for (const auto& e : list) n += pred(e) ? 1 : 0;
  return n;
}

template <typename Pred>
bool exists(const json& list, Pred pred) {
  return countIf(list, pred) > 0;
}

bool in(const std::string& s, std::initializer_list<std::string_view> set) {
  for (auto v : set) {
    if (s == v) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// HTTPRoute

// HTTPPathModifier (requestRedirect.path, urlRewrite.path).
Schema PathModifier() {
  return Obj({{"replaceFullPath", Str().maxLen(1024)},
              {"replacePrefixMatch", Str().maxLen(1024)},
              {"type", Str().oneOf({"ReplaceFullPath", "ReplacePrefixMatch"})}})
      .required({"type"})
      .rule([](const json& self) { return str(self, "type") != "ReplaceFullPath" || has(self, "replaceFullPath"); },
            "replaceFullPath must be specified when type is set to 'ReplaceFullPath'")
      .rule([](const json& self) { return !has(self, "replaceFullPath") || str(self, "type") == "ReplaceFullPath"; },
            "type must be 'ReplaceFullPath' when replaceFullPath is set")
      .rule([](const json& self) { return str(self, "type") != "ReplacePrefixMatch" || has(self, "replacePrefixMatch"); },
            "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'")
      .rule([](const json& self) { return !has(self, "replacePrefixMatch") || str(self, "type") == "ReplacePrefixMatch"; },
            "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
}

// !('*' in self && self.size() > 1)
bool wildcardAlone(const json& self) {
  bool star = false;
  for (const auto& v : self) star = star || v == "*";
  return !(star && self.size() > 1);
}

Schema CORSFilter() {
  return Obj({{"allowCredentials", Bool()},
              {"allowHeaders", Arr(HeaderName()).maxItems(64).set().rule(
                                   wildcardAlone, "AllowHeaders cannot contain '*' alongside other methods")},
              {"allowMethods",
               Arr(Str().oneOf({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"}))
                   .maxItems(9)
                   .set()
                   .rule(wildcardAlone, "AllowMethods cannot contain '*' alongside other methods")},
              {"allowOrigins",
               Arr(Str().minLen(1).maxLen(253).pattern(
                       R"re((^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$))re"))
                   .maxItems(64)
                   .set()
                   .rule(wildcardAlone, "AllowOrigins cannot contain '*' alongside other origins")},
              {"exposeHeaders", Arr(HeaderName()).maxItems(64).set()},
              {"maxAge", Int().def(5).min(1)}});
}

Schema HTTPRouteFilter() {
  auto filter =
      Obj({{"cors", CORSFilter()},
           {"extensionRef", LocalObjectReference()},
           {"requestHeaderModifier", HeaderModifier()},
           {"requestMirror", RequestMirror()},
           {"requestRedirect", Obj({{"hostname", PreciseHostname()},
                                    {"path", PathModifier()},
                                    {"port", PortNumber()},
                                    {"scheme", Str().oneOf({"http", "https"})},
                                    {"statusCode", Int().oneOf({301, 302, 303, 307, 308}).def(302)}})},
           {"responseHeaderModifier", HeaderModifier()},
           {"type", Str().oneOf({"RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror",
                                 "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"})},
           {"urlRewrite", Obj({{"hostname", PreciseHostname()}, {"path", PathModifier()}})}})
          .required({"type"});
  return withFilterUnion(filter, {{"cors", "CORS"},
                                  {"requestHeaderModifier", "RequestHeaderModifier"},
                                  {"responseHeaderModifier", "ResponseHeaderModifier"},
                                  {"requestMirror", "RequestMirror"},
                                  {"requestRedirect", "RequestRedirect"},
                                  {"urlRewrite", "URLRewrite"},
                                  {"extensionRef", "ExtensionRef"}});
}

Schema HTTPRouteFilters() {
  Schema filters =
      Arr(HTTPRouteFilter())
          .maxItems(16)
          .rule(
              [](const json& self) {
                return !(exists(self, [](const json& f) { return str(f, "type") == "RequestRedirect"; }) &&
                         exists(self, [](const json& f) { return str(f, "type") == "URLRewrite"; }));
              },
              "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both");
  for (const char* type : {"CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"}) {
    filters = notRepeated(filters, type);
  }
  return filters;
}

Schema HTTPPathMatch() {
  // The CEL rules only apply to Exact and PathPrefix values.
  auto exactOrPrefix = [](const json& self) { return in(str(self, "type"), {"Exact", "PathPrefix"}); };
  auto validChars = compile(R"re(^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)re");
  auto must = [exactOrPrefix](std::function<bool(const std::string&)> ok) {
    return [exactOrPrefix, ok](const json& self) { return !exactOrPrefix(self) || ok(str(self, "value")); };
  };
  auto contains = [](const char* needle) {
    return [needle](const std::string& v) { return v.find(needle) == std::string::npos; };
  };
  auto endsWith = [](std::string suffix) {
    return [suffix](const std::string& v) {
      return !(v.size() >= suffix.size() && v.compare(v.size() - suffix.size(), suffix.size(), suffix) == 0);
    };
  };
  return Obj({{"type", Str().oneOf({"Exact", "PathPrefix", "RegularExpression"}).def("PathPrefix")},
              {"value", Str().def("/").maxLen(1024)}})
      .def({{"type", "PathPrefix"}, {"value", "/"}})
      .rule(must([](const std::string& v) { return !v.empty() && v[0] == '/'; }),
            "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("//")), "must not contain '//' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("/./")), "must not contain '/./' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("/../")), "must not contain '/../' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("%2f")), "must not contain '%2f' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("%2F")), "must not contain '%2F' when type one of ['Exact', 'PathPrefix']")
      .rule(must(contains("#")), "must not contain '#' when type one of ['Exact', 'PathPrefix']")
      .rule(must(endsWith("/..")), "must not end with '/..' when type one of ['Exact', 'PathPrefix']")
      .rule(must(endsWith("/.")), "must not end with '/.' when type one of ['Exact', 'PathPrefix']")
      .rule([](const json& self) { return in(str(self, "type"), {"Exact", "PathPrefix", "RegularExpression"}); },
            "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']")
      .rule(must([validChars](const std::string& v) { return partialMatch(*validChars, v); }),
            "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) "
            "for types ['Exact', 'PathPrefix']");
}

Schema HTTPRouteMatch() {
  return Obj({{"headers", Arr(HeaderMatch(4096)).maxItems(16).listMap({"name"})},
              {"method", Str().oneOf({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})},
              {"path", HTTPPathMatch()},
              {"queryParams", Arr(HeaderMatch(1024)).maxItems(16).listMap({"name"})}});
}

Schema HTTPRouteTimeouts() {
  return Obj({{"backendRequest", Duration()}, {"request", Duration()}})
      .rule(
          [](const json& self) {
            if (!has(self, "request") || !has(self, "backendRequest")) return true;
            auto request = parseDurationMs(str(self, "request"));
            auto backend = parseDurationMs(str(self, "backendRequest"));
            if (!request || !backend) return true;  // the pattern already rejects it
            return !(*request != 0 && *backend > *request);
          },
          "backendRequest timeout cannot be longer than request timeout");
}

// spec.rules[].retry of the experimental channel (GEP-1731), accepted so that retries can be
// configured: the one experimental field the store knows.
Schema HTTPRouteRetry() {
  return Obj({{"attempts", Int().min(1)}, {"backoff", Duration()}, {"codes", Arr(Int().min(400).max(599)).set()}});
}

// has(f.<filter>) && has(f.<filter>.path) && f.<filter>.path.type == 'ReplacePrefixMatch' &&
// has(f.<filter>.path.replacePrefixMatch)
bool replacesPrefix(const json& f, const char* filter) {
  const json& path = obj(obj(f, filter), "path");
  return has(f, filter) && has(f[filter], "path") && str(path, "type") == "ReplacePrefixMatch" &&
         has(path, "replacePrefixMatch");
}

// (size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true
bool onePathPrefixMatch(const json& rule) {
  const json& matches = arr(rule, "matches");
  return matches.size() == 1 && has(matches[0], "path") && str(matches[0]["path"], "type") == "PathPrefix";
}

Schema HTTPRouteRule() {
  auto prefixRule = [](const char* filter) {
    return [filter](const json& self) {
      bool one = has(self, "filters") &&
                 countIf(self["filters"], [&](const json& f) { return replacesPrefix(f, filter); }) == 1;
      return !one || onePathPrefixMatch(self);
    };
  };
  auto backendPrefixRule = [](const char* filter) {
    return [filter](const json& self) {
      bool one = has(self, "backendRefs") && countIf(self["backendRefs"], [&](const json& b) {
                   return has(b, "filters") &&
                          countIf(b["filters"], [&](const json& f) { return replacesPrefix(f, filter); }) == 1;
                 }) == 1;
      return !one || onePathPrefixMatch(self);
    };
  };
  return Obj({{"backendRefs", Arr(BackendRef().prop("filters", HTTPRouteFilters())).maxItems(16)},
              {"filters", HTTPRouteFilters()},
              {"matches", Arr(HTTPRouteMatch()).maxItems(64).def(json::array({{{"path", {{"type", "PathPrefix"}, {"value", "/"}}}}}))},
              {"name", RouteRuleName()},
              {"retry", HTTPRouteRetry()},
              {"timeouts", HTTPRouteTimeouts()}})
      .rule(
          [](const json& self) {
            if (!(has(self, "backendRefs") && size(self, "backendRefs") > 0)) return true;
            return countIf(arr(self, "filters"), [](const json& f) { return has(f, "requestRedirect"); }) == 0;
          },
          "RequestRedirect filter must not be used together with backendRefs")
      .rule(prefixRule("requestRedirect"),
            "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified")
      .rule(prefixRule("urlRewrite"),
            "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified")
      .rule(backendPrefixRule("requestRedirect"),
            "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix "
            "match must be specified")
      .rule(backendPrefixRule("urlRewrite"),
            "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match "
            "must be specified");
}

constexpr const char* kTotalMatches =
    "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route "
    "must be less than 128";

// ---------------------------------------------------------------------------------------------
// GRPCRoute

Schema GRPCRouteFilters() {
  auto filter = Obj({{"extensionRef", LocalObjectReference()},
                     {"requestHeaderModifier", HeaderModifier()},
                     {"requestMirror", RequestMirror()},
                     {"responseHeaderModifier", HeaderModifier()},
                     {"type", Str().oneOf({"ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"})}})
                    .required({"type"});
  filter = withFilterUnion(filter, {{"requestHeaderModifier", "RequestHeaderModifier"},
                                    {"responseHeaderModifier", "ResponseHeaderModifier"},
                                    {"requestMirror", "RequestMirror"},
                                    {"extensionRef", "ExtensionRef"}});
  return notRepeated(notRepeated(Arr(filter).maxItems(16), "RequestHeaderModifier"), "ResponseHeaderModifier");
}

Schema GRPCMethodMatch() {
  auto service = compile(R"re(^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$)re");
  auto method = compile(R"re(^[A-Za-z_][A-Za-z_0-9]*$)re");
  auto exact = [](const json& self) { return !has(self, "type") || str(self, "type") == "Exact"; };
  return Obj({{"method", Str().maxLen(1024)},
              {"service", Str().maxLen(1024)},
              {"type", Str().oneOf({"Exact", "RegularExpression"}).def("Exact")}})
      .rule([](const json& self) { return !has(self, "type") || has(self, "service") || has(self, "method"); },
            "One or both of 'service' or 'method' must be specified")
      .rule(
          [exact, service](const json& self) {
            return !(exact(self) && has(self, "service")) || partialMatch(*service, str(self, "service"));
          },
          "service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)")
      .rule(
          [exact, method](const json& self) {
            return !(exact(self) && has(self, "method")) || partialMatch(*method, str(self, "method"));
          },
          "method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)");
}

// ---------------------------------------------------------------------------------------------
// TCPRoute, UDPRoute, TLSRoute

Schema L4RouteRules() {
  return Arr(Obj({{"backendRefs", Arr(BackendRef()).minItems(1).maxItems(16)}, {"name", RouteRuleName()}})
                 .required({"backendRefs"}))
      .minItems(1)
      .maxItems(1);
}

Schema L4RouteSpec() {
  return Obj({{"parentRefs", ParentRefs()}, {"rules", L4RouteRules()}}).required({"rules"});
}

constexpr std::string_view kRfc1123 = R"re(^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$)re";

Schema TLSRouteHostnames() {
  auto rfc1123 = compile(kRfc1123);
  auto each = [](std::function<bool(const std::string&)> ok) {
    return [ok](const json& self) {
      for (const auto& h : self) {
        if (h.is_string() && !ok(h.get_ref<const std::string&>())) return false;
      }
      return true;
    };
  };
  return Arr(Hostname())
      .minItems(1)
      .maxItems(1024)
      .rule(each([](const std::string& h) { return !isIP(h); }), "Hostnames cannot contain an IP")
      .rule(each([rfc1123](const std::string& h) {
              return h.find('*') != std::string::npos || partialMatch(*rfc1123, h);
            }),
            "Hostnames must be valid based on RFC-1123")
      .rule(each([rfc1123](const std::string& h) {
              if (h.find('*') == std::string::npos) return true;
              return h.rfind("*.", 0) == 0 && partialMatch(*rfc1123, std::string_view(h).substr(2));
            }),
            "Wildcards on hostnames must be the first label, and the rest of hostname must be valid based on RFC-1123");
}

}  // namespace

const Node& httpRoute() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"hostnames", RouteHostnames()},
           {"parentRefs", ParentRefs()},
           {"rules", Arr(HTTPRouteRule())
                         .def(json::array({{{"matches", json::array({{{"path", {{"type", "PathPrefix"}, {"value", "/"}}}}})}}}))
                         .minItems(1)
                         .maxItems(16)
                         .rule(totalMatchesAtMost128, kTotalMatches)}}));
  return s.node();
}

const Node& grpcRoute() {
  static const Schema s = TopLevel(
      ObjectMeta(NameRule::Dns1123Subdomain),
      Obj({{"hostnames", RouteHostnames()},
           {"parentRefs", ParentRefs()},
           {"rules", Arr(Obj({{"backendRefs", Arr(BackendRef().prop("filters", GRPCRouteFilters())).maxItems(16)},
                              {"filters", GRPCRouteFilters()},
                              {"matches", Arr(Obj({{"headers", Arr(HeaderMatch(4096)).maxItems(16).listMap({"name"})},
                                                   {"method", GRPCMethodMatch()}}))
                                              .maxItems(64)},
                              {"name", RouteRuleName()}}))
                         .maxItems(16)
                         .rule(totalMatchesAtMost128, kTotalMatches)}}));
  return s.node();
}

const Node& tcpRoute() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain), L4RouteSpec());
  return s.node();
}

const Node& udpRoute() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain), L4RouteSpec());
  return s.node();
}

const Node& tlsRoute() {
  static const Schema s = TopLevel(ObjectMeta(NameRule::Dns1123Subdomain),
                                   L4RouteSpec().prop("hostnames", TLSRouteHostnames()).required({"hostnames", "rules"}));
  return s.node();
}

}  // namespace gatehouse::model::kinds
