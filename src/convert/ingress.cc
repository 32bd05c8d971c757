#include "convert/ingress.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace gatehouse::convert {

using model::Json;

namespace {

constexpr std::string_view kNginx = "nginx.ingress.kubernetes.io/";
constexpr std::string_view kGatewayApi = "gateway.networking.k8s.io/v1";
constexpr std::string_view kGatehouseApi = "gatehouse.dev/v1alpha1";

// Annotations this conversion reads; every other nginx one is reported.
const std::set<std::string> kConverted = {
    "rewrite-target",      "use-regex",         "ssl-redirect",        "force-ssl-redirect",   "canary",
    "canary-weight",       "canary-weight-total", "canary-by-header",  "canary-by-header-value",
    "proxy-read-timeout",  "proxy-send-timeout", "enable-cors",        "cors-allow-origin",    "cors-allow-methods",
    "cors-allow-headers",  "cors-expose-headers", "cors-allow-credentials", "cors-max-age",
    "limit-rps",           "limit-rpm",         "limit-burst-multiplier"};

// Why the annotations users most often ask about are not converted.
const std::map<std::string, std::string> kWhyNot = {
    {"limit-connections", "no connection limit in the Gateway API"},
    {"limit-whitelist", "no exemption by client address in a RateLimitPolicy"},
    {"limit-allowlist", "no exemption by client address in a RateLimitPolicy"},
    {"whitelist-source-range", "no match on the client address in the Gateway API"},
    {"allowlist-source-range", "no match on the client address in the Gateway API"},
    {"denylist-source-range", "no match on the client address in the Gateway API"},
    {"proxy-connect-timeout", "no connect timeout in the Gateway API"},
    {"canary-by-cookie", "no cookie match in the Gateway API"},
    {"affinity", "no session affinity in the Gateway API"},
    {"auth-url", "no external authorization in the Gateway API"},
    {"configuration-snippet", "raw nginx configuration"},
    {"server-snippet", "raw nginx configuration"},
};

// ingress-nginx's CORS defaults (its annotation docs).
constexpr const char* kCorsMethods = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
constexpr const char* kCorsHeaders =
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization";

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A listener or route name part from a hostname: "*.example.com" -> "wildcard-example-com".
std::string nameOf(const std::string& host) {
  if (host.empty()) return "any";
  std::string out;
  for (char c : host) {
    if (c == '*') out += "wildcard";
    else if (c == '.') out += '-';
    else out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<int64_t> seconds(const std::string& text) {
  if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), ::isdigit)) return std::nullopt;
  return std::stoll(text);
}

struct Ingress {
  const IngressSource* source = nullptr;
  std::string ns, name, ingress_class;
  std::map<std::string, std::string> nginx;  // annotations of ingress-nginx, without the prefix
  std::set<std::string> tls_hosts;
  bool tls_any_host = false;  // a tls entry without hosts
  std::string id() const { return ns + "/" + name; }
  std::string get(const std::string& key) const {
    auto it = nginx.find(key);
    return it == nginx.end() ? "" : it->second;
  }
  bool on(const std::string& key) const { return get(key) == "true"; }
  bool tls(const std::string& host) const { return tls_any_host || tls_hosts.count(host) > 0; }
};

class Converter {
 public:
  Converter(const std::string& gateway_class) : gateway_class_(gateway_class) {}

  IngressConversion run(const std::vector<IngressSource>& sources) {
    std::vector<Ingress> ingresses;
    for (const auto& source : sources)
      if (auto ingress = read(source)) ingresses.push_back(std::move(*ingress));
    for (const auto& ingress : ingresses)
      if (!ingress.on("canary")) addGatewayListeners(ingress);
    for (const auto& ingress : ingresses)
      if (!ingress.on("canary")) addRoutes(ingress);
    for (const auto& ingress : ingresses)
      if (ingress.on("canary")) mergeCanary(ingress);
    for (const auto& ingress : ingresses)
      if (ingress.on("canary") && (!ingress.get("limit-rps").empty() || !ingress.get("limit-rpm").empty()))
        note(ingress, "rate limit on a canary Ingress: its requests count against the primary Ingress's limit; "
                      "not converted");
    IngressConversion out;
    for (auto& [key, gateway] : gateways_) out.objects.push_back(std::move(gateway));
    for (auto& route : routes_) out.objects.push_back(std::move(route));
    for (auto& policy : policies_) out.objects.push_back(std::move(policy));
    out.notes = std::move(notes_);
    return out;
  }

 private:
  void note(const Ingress& ingress, const std::string& what) { notes_.push_back(ingress.id() + ": " + what); }

  std::optional<Ingress> read(const IngressSource& source) {
    const Json& object = source.ingress;
    const Json meta = object.value("metadata", Json::object());
    Ingress ingress;
    ingress.source = &source;
    ingress.ns = meta.value("namespace", "default");
    ingress.name = meta.value("name", "");
    if (object.value("kind", "") != "Ingress" || object.value("apiVersion", "") != "networking.k8s.io/v1") {
      notes_.push_back(source.file + ": " + object.value("kind", "?") + " " + ingress.ns + "/" + ingress.name +
                       ": not a networking.k8s.io/v1 Ingress, skipped");
      return std::nullopt;
    }
    const Json annotations = meta.value("annotations", Json::object());
    const Json spec = object.value("spec", Json::object());
    ingress.ingress_class = spec.value("ingressClassName", annotations.value("kubernetes.io/ingress.class", "nginx"));
    for (const auto& [key, value] : annotations.items()) {
      if (key.rfind(kNginx, 0) != 0 || !value.is_string()) continue;
      const std::string name = key.substr(kNginx.size());
      ingress.nginx[name] = value.get<std::string>();
      if (kConverted.count(name)) continue;
      auto why = kWhyNot.find(name);
      if (name == "backend-protocol") {
        noteBackendProtocol(ingress, value.get<std::string>());
      } else {
        note(ingress, "annotation " + key + ": " + (why != kWhyNot.end() ? why->second : "not converted"));
      }
    }
    for (const auto& tls : spec.value("tls", Json::array())) {
      const Json hosts = tls.value("hosts", Json::array());
      if (hosts.empty()) ingress.tls_any_host = true;
      for (const auto& h : hosts) ingress.tls_hosts.insert(h.get<std::string>());
    }
    return ingress;
  }

  void noteBackendProtocol(const Ingress& ingress, const std::string& protocol) {
    const std::string key = std::string(kNginx) + "backend-protocol";
    if (protocol == "HTTP") return;
    if (protocol == "GRPC" || protocol == "H2C")
      note(ingress, "annotation " + key + ": " + protocol +
                        ": set appProtocol: kubernetes.io/h2c on the backend Service's port instead");
    else if (protocol == "HTTPS" || protocol == "GRPCS")
      note(ingress, "annotation " + key + ": " + protocol +
                        ": add a BackendTLSPolicy for the backend Service (its CA is not in the Ingress)");
    else
      note(ingress, "annotation " + key + ": " + protocol + ": not converted");
  }

  static std::string gatewayKey(const Ingress& ingress) { return ingress.ns + "/" + ingress.ingress_class; }

  Json& gateway(const Ingress& ingress) {
    auto [it, added] = gateways_.try_emplace(gatewayKey(ingress));
    if (added) {
      it->second = {{"apiVersion", kGatewayApi},
                    {"kind", "Gateway"},
                    {"metadata", {{"name", ingress.ingress_class}, {"namespace", ingress.ns}}},
                    {"spec",
                     {{"gatewayClassName", gateway_class_},
                      {"listeners", Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "HTTP"}}})}}}};
    }
    return it->second;
  }

  static std::string httpsListener(const std::string& host) { return host.empty() ? "https" : "https-" + nameOf(host); }

  void addGatewayListeners(const Ingress& ingress) {
    Json& listeners = gateway(ingress)["spec"]["listeners"];
    const Json spec = ingress.source->ingress.value("spec", Json::object());
    for (const auto& tls : spec.value("tls", Json::array())) {
      const std::string secret = tls.value("secretName", "");
      if (secret.empty()) {
        note(ingress, "tls entry without secretName (the controller's default certificate): not converted");
        continue;
      }
      std::vector<std::string> hosts;
      for (const auto& h : tls.value("hosts", Json::array())) hosts.push_back(h.get<std::string>());
      if (hosts.empty()) hosts.push_back("");
      for (const auto& host : hosts) {
        const std::string name = httpsListener(host);
        auto same = std::find_if(listeners.begin(), listeners.end(), [&](const Json& l) { return l["name"] == name; });
        if (same != listeners.end()) {
          if ((*same)["tls"]["certificateRefs"][0]["name"] != secret)
            note(ingress, "tls host " + (host.empty() ? "(any)" : host) + ": another Ingress of class " +
                              ingress.ingress_class + " gives it another Secret; the first one is kept");
          continue;
        }
        Json listener = {{"name", name},
                         {"port", 443},
                         {"protocol", "HTTPS"},
                         {"tls", {{"mode", "Terminate"}, {"certificateRefs", Json::array({{{"name", secret}}})}}}};
        if (!host.empty()) listener["hostname"] = host;
        listeners.push_back(std::move(listener));
      }
    }
  }

  Json backendRef(const Ingress& ingress, const Json& backend) {
    if (backend.contains("resource")) {
      note(ingress, "resource backend " + backend["resource"].value("name", "") + ": not converted");
      return nullptr;
    }
    const Json service = backend.value("service", Json::object());
    const Json port = service.value("port", Json::object());
    if (!port.contains("number")) {
      note(ingress, "Service " + service.value("name", "") + " port " + port.value("name", "") +
                        ": a backendRef needs the port number, the Ingress names the port");
      return nullptr;
    }
    return {{"name", service.value("name", "")}, {"port", port["number"]}};
  }

  // The path match and the rewrite filter of one Ingress path (nullopt: not convertible).
  std::optional<std::pair<Json, Json>> pathAndRewrite(const Ingress& ingress, const Json& path) {
    std::string value = path.value("path", "/");
    const std::string type = path.value("pathType", "ImplementationSpecific");
    const std::string target = ingress.get("rewrite-target");
    Json rewrite = nullptr;
    std::string match_type = type == "Exact" ? "Exact" : "PathPrefix";
    if (target.find('$') != std::string::npos) {
      // The common idiom: strip a prefix. `/app(/|$)(.*)` with `/$2`, or `/app/(.*)` with `/$1`.
      for (const auto& [suffix, replacement] : {std::pair{"(/|$)(.*)", "/$2"}, std::pair{"/(.*)", "/$1"}}) {
        const std::string_view s = suffix;
        if (target != replacement || value.size() < s.size() || value.compare(value.size() - s.size(), s.size(), s) != 0)
          continue;
        std::string prefix = value.substr(0, value.size() - s.size());
        if (prefix.find_first_of("()[]{}*+?|$^.\\") != std::string::npos) continue;
        if (prefix.empty()) prefix = "/";
        rewrite = {{"type", "URLRewrite"},
                   {"urlRewrite", {{"path", {{"type", "ReplacePrefixMatch"}, {"replacePrefixMatch", "/"}}}}}};
        return std::pair{Json{{"path", {{"type", "PathPrefix"}, {"value", prefix}}}}, rewrite};
      }
      note(ingress, "path " + value + " with rewrite-target " + target + ": only the prefix-stripping idioms " +
                        "(/p(/|$)(.*) with /$2, /p/(.*) with /$1) are converted; path left out");
      return std::nullopt;
    }
    if (!target.empty())
      rewrite = {{"type", "URLRewrite"}, {"urlRewrite", {{"path", {{"type", "ReplaceFullPath"}, {"replaceFullPath", target}}}}}};
    if (ingress.on("use-regex") && type != "Exact") {
      match_type = "RegularExpression";
      if (value.empty() || value.back() != '$') value += ".*";  // nginx's regex locations match a prefix
    }
    return std::pair{Json{{"path", {{"type", match_type}, {"value", value}}}}, rewrite};
  }

  Json cors(const Ingress& ingress) {
    auto or_default = [&](const char* key, const char* fallback) {
      std::string v = ingress.get(key);
      return v.empty() ? std::string(fallback) : v;
    };
    Json c = {{"allowOrigins", splitList(or_default("cors-allow-origin", "*"))},
              {"allowMethods", splitList(or_default("cors-allow-methods", kCorsMethods))},
              {"allowHeaders", splitList(or_default("cors-allow-headers", kCorsHeaders))},
              {"allowCredentials", or_default("cors-allow-credentials", "true") == "true"}};
    if (auto expose = splitList(ingress.get("cors-expose-headers")); !expose.empty()) c["exposeHeaders"] = expose;
    if (auto age = seconds(or_default("cors-max-age", "1728000"))) c["maxAge"] = *age;
    return {{"type", "CORS"}, {"cors", c}};
  }

  Json rule(const Ingress& ingress, Json match, Json rewrite, Json backend) {
    Json r = {{"backendRefs", Json::array({std::move(backend)})}};
    if (!match.is_null()) r["matches"] = Json::array({std::move(match)});
    Json filters = Json::array();
    if (!rewrite.is_null()) filters.push_back(std::move(rewrite));
    if (ingress.on("enable-cors")) filters.push_back(cors(ingress));
    if (!filters.empty()) r["filters"] = std::move(filters);
    std::optional<int64_t> timeout;
    for (const char* key : {"proxy-read-timeout", "proxy-send-timeout"}) {
      const std::string v = ingress.get(key);
      if (v.empty()) continue;
      auto s = seconds(v);
      if (!s) note(ingress, "annotation " + std::string(kNginx) + key + ": " + v + " is not a number of seconds");
      else timeout = std::max(timeout.value_or(0), *s);
    }
    if (timeout) r["timeouts"] = {{"backendRequest", std::to_string(*timeout) + "s"}};
    return r;
  }

  Json parents(const Ingress& ingress, const std::string& host, bool redirect) {
    Json refs = Json::array();
    if (ingress.tls(host))
      refs.push_back({{"name", ingress.ingress_class}, {"sectionName", httpsListener(ingress.tls_hosts.count(host) ? host : "")}});
    if (!redirect) refs.push_back({{"name", ingress.ingress_class}, {"sectionName", "http"}});
    return refs;
  }

  void addRoute(const Ingress& ingress, const std::string& route_name, const std::string& host, Json rules) {
    const bool tls = ingress.tls(host);
    const bool redirect = tls && ingress.get("ssl-redirect") != "false";
    if (ingress.on("force-ssl-redirect") && !tls)
      note(ingress, "host " + (host.empty() ? "(any)" : host) +
                        ": force-ssl-redirect without TLS in this Ingress (TLS ends in front of it): not converted");
    Json spec = {{"parentRefs", parents(ingress, host, redirect)}, {"rules", std::move(rules)}};
    if (!host.empty()) spec["hostnames"] = Json::array({host});
    routes_.push_back({{"apiVersion", kGatewayApi},
                       {"kind", "HTTPRoute"},
                       {"metadata", {{"name", route_name}, {"namespace", ingress.ns}}},
                       {"spec", spec}});
    if (!redirect) return;
    Json redirect_spec = {
        {"parentRefs", Json::array({{{"name", ingress.ingress_class}, {"sectionName", "http"}}})},
        {"rules", Json::array({{{"filters", Json::array({{{"type", "RequestRedirect"},
                                                           {"requestRedirect", {{"scheme", "https"}, {"statusCode", 308}}}}})}}})}};
    if (!host.empty()) redirect_spec["hostnames"] = Json::array({host});
    routes_.push_back({{"apiVersion", kGatewayApi},
                       {"kind", "HTTPRoute"},
                       {"metadata", {{"name", route_name + "-http-redirect"}, {"namespace", ingress.ns}}},
                       {"spec", std::move(redirect_spec)}});
  }

  void addRoutes(const Ingress& ingress) {
    const Json spec = ingress.source->ingress.value("spec", Json::object());
    std::vector<std::string> hosts;  // in order of appearance; a host may have several rules
    std::map<std::string, Json> rules_by_host;
    std::vector<std::tuple<std::string, size_t, size_t>> paths;  // path, host index, rule index
    for (const auto& r : spec.value("rules", Json::array())) {
      const std::string host = r.value("host", "");
      if (!rules_by_host.count(host)) {
        hosts.push_back(host);
        rules_by_host[host] = Json::array();
      }
      const size_t host_index = static_cast<size_t>(std::find(hosts.begin(), hosts.end(), host) - hosts.begin());
      for (const auto& path : r.value("http", Json::object()).value("paths", Json::array())) {
        Json backend = backendRef(ingress, path.value("backend", Json::object()));
        auto converted = pathAndRewrite(ingress, path);
        if (backend.is_null() || !converted) continue;
        Json& rules = rules_by_host[host];
        paths.emplace_back(path.value("path", "/"), host_index, rules.size());
        rules.push_back(rule(ingress, converted->first, converted->second, std::move(backend)));
      }
    }
    std::vector<size_t> route_of_host;  // a redirect route may follow each host's route
    std::vector<std::string> route_names;  // the routes that reach the backends (not the redirects)
    for (size_t i = 0; i < hosts.size(); ++i) {
      route_of_host.push_back(routes_.size());
      const std::string name = hosts.size() == 1 ? ingress.name : ingress.name + "-" + nameOf(hosts[i]);
      addRoute(ingress, name, hosts[i], std::move(rules_by_host[hosts[i]]));
      route_names.push_back(name);
    }
    for (const auto& [path, host, rule] : paths)
      index_.try_emplace({ingress.ns, ingress.ingress_class, hosts[host], path}, Where{route_of_host[host], rule});
    if (spec.contains("defaultBackend")) {
      Json backend = backendRef(ingress, spec["defaultBackend"]);
      if (!backend.is_null()) {
        addRoute(ingress, ingress.name + "-default-backend", "", Json::array({rule(ingress, nullptr, nullptr, backend)}));
        route_names.push_back(ingress.name + "-default-backend");
      }
    }
    addRateLimit(ingress, route_names);
  }

  // limit-rps / limit-rpm: ingress-nginx's leaky bucket per client address in each nginx replica,
  // at that rate, with a burst of rate x limit-burst-multiplier (default 5). A local
  // RateLimitPolicy (per replica too) is that bucket: rate x multiplier requests per multiplier
  // seconds (minutes), keyed by client address, on the Ingress's routes.
  void addRateLimit(const Ingress& ingress, const std::vector<std::string>& routes) {
    const std::string rps = ingress.get("limit-rps"), rpm = ingress.get("limit-rpm");
    if (rps.empty() && rpm.empty()) return;
    const bool per_second = !rps.empty();
    const std::string rate_key = per_second ? "limit-rps" : "limit-rpm";
    if (per_second && !rpm.empty())
      note(ingress, "annotation " + std::string(kNginx) + "limit-rpm: with limit-rps, only limit-rps is converted " +
                        "(a RateLimitPolicy has one local limit)");
    const auto rate = seconds(per_second ? rps : rpm);
    const std::string multiplier_text = ingress.get("limit-burst-multiplier");
    const auto multiplier = multiplier_text.empty() ? std::optional<int64_t>(5) : seconds(multiplier_text);
    if (!rate || *rate == 0 || !multiplier || *multiplier == 0 || *multiplier > 99999 ||
        *rate * *multiplier > 1000000000) {
      note(ingress, "annotation " + std::string(kNginx) + rate_key + ": " + (per_second ? rps : rpm) +
                        " with limit-burst-multiplier " + (multiplier_text.empty() ? "5" : multiplier_text) +
                        ": not whole numbers of a RateLimitPolicy's range; not converted");
      return;
    }
    if (routes.empty()) return;
    if (routes.size() > 16) {
      note(ingress, "rate limit: more than 16 routes (hosts); not converted");
      return;
    }
    Json targets = Json::array();
    for (const auto& route : routes)
      targets.push_back({{"group", "gateway.networking.k8s.io"}, {"kind", "HTTPRoute"}, {"name", route}});
    policies_.push_back(
        {{"apiVersion", kGatehouseApi},
         {"kind", "RateLimitPolicy"},
         {"metadata", {{"name", ingress.name + "-rate-limit"}, {"namespace", ingress.ns}}},
         {"spec",
          {{"targetRefs", std::move(targets)},
           {"local",
            {{"requests", *rate * *multiplier},
             {"window", std::to_string(*multiplier) + (per_second ? "s" : "m")},
             {"key", {{"type", "ClientAddress"}}}}}}}});
  }

  // A canary Ingress's paths join the primary Ingress's rules for the same host and path.
  void mergeCanary(const Ingress& canary) {
    const Json spec = canary.source->ingress.value("spec", Json::object());
    const auto weight = seconds(canary.get("canary-weight"));
    const auto total = seconds(canary.get("canary-weight-total")).value_or(100);
    const std::string header = canary.get("canary-by-header");
    if (!weight && header.empty()) {
      note(canary, "canary without canary-weight or canary-by-header: not converted");
      return;
    }
    for (const auto& r : spec.value("rules", Json::array())) {
      const std::string host = r.value("host", "");
      for (const auto& path : r.value("http", Json::object()).value("paths", Json::array())) {
        const std::string value = path.value("path", "/");
        auto it = index_.find({canary.ns, canary.ingress_class, host, value});
        if (it == index_.end()) {
          note(canary, "canary for host " + (host.empty() ? "(any)" : host) + " path " + value +
                           ": no Ingress of class " + canary.ingress_class + " serves it");
          continue;
        }
        Json backend = backendRef(canary, path.value("backend", Json::object()));
        if (backend.is_null()) continue;
        Json& rules = routes_[it->second.route]["spec"]["rules"];
        Json& primary = rules[it->second.rule];
        if (weight) {
          if (primary["backendRefs"].size() != 1 || *weight > total) {
            note(canary, "canary-weight for path " + value + ": the primary rule has several backends, or the " +
                             "weight exceeds the total: not converted");
          } else {
            primary["backendRefs"][0]["weight"] = total - *weight;
            Json weighted = backend;
            weighted["weight"] = *weight;
            primary["backendRefs"].push_back(std::move(weighted));
          }
        }
        if (!header.empty()) {
          Json by_header = primary;
          by_header["backendRefs"] = Json::array({backend});
          const std::string header_value = canary.get("canary-by-header-value");
          by_header["matches"][0]["headers"] =
              Json::array({{{"name", header}, {"value", header_value.empty() ? "always" : header_value}}});
          rules.push_back(std::move(by_header));
        }
      }
    }
  }

  struct Where {
    size_t route, rule;
  };

  std::string gateway_class_;
  std::map<std::string, Json> gateways_;  // "namespace/class"
  std::vector<Json> routes_;
  std::vector<Json> policies_;  // RateLimitPolicies
  // (namespace, class, host, path) of every converted primary path -> its rule.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Where> index_;
  std::vector<std::string> notes_;
};

}  // namespace

IngressConversion convertIngresses(const std::vector<IngressSource>& sources, const std::string& gateway_class) {
  return Converter(gateway_class).run(sources);
}

}  // namespace gatehouse::convert
