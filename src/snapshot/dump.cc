#include "snapshot/dump.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <variant>

namespace gatehouse::snapshot {

using nlohmann::json;

namespace {

// The Gateway listener protocol a socket serves, as the dump has always named it ("TLS" is
// passthrough); a SniDispatch socket names each listener's protocol instead.
const char* protocolName(Transport transport, ListenerKind kind) {
  switch (kind) {
    case ListenerKind::HttpConnectionManager: return transport == Transport::Tls ? "HTTPS" : "HTTP";
    case ListenerKind::TlsPassthrough: return "TLS";
    case ListenerKind::TcpProxy: return transport == Transport::Tls ? "TLS Terminate" : "TCP";
    case ListenerKind::UdpProxy: return "UDP";
    case ListenerKind::SniDispatch: return "by SNI";
  }
  return "?";
}

std::string subjectOf(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                   X509_free);
  if (!cert) return "<unreadable>";
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof buf);
  return buf;
}

// Every certificate of a PEM bundle, by subject.
json subjectsOf(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  json subjects = json::array();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    subjects.push_back(buf);
    X509_free(cert);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  return subjects;
}

json headerModifier(const HeaderModifier& m) {
  json out = json::object();
  auto pairs = [](const auto& list) {
    json a = json::array();
    for (auto& [k, v] : list) a.push_back({{"name", k}, {"value", v}});
    return a;
  };
  if (!m.set.empty()) out["set"] = pairs(m.set);
  if (!m.add.empty()) out["add"] = pairs(m.add);
  if (!m.remove.empty()) out["remove"] = m.remove;
  return out;
}

json pathModifier(const PathModifier& p) {
  return {{p.type == PathModifier::Type::ReplaceFullPath ? "replaceFullPath" : "replacePrefixMatch", p.value}};
}

// Rules name their clusters by index; the dump names them, so it reads (and compares) the
// same whatever slots the translator handed out.
json clusterName(const Snapshot& snapshot, uint32_t index) {
  const Cluster* cluster = snapshot.clusters.get(index);
  return cluster ? json(cluster->name) : json("<missing>");
}

// One key per filter type (each type occurs at most once, RequestMirror excepted).
void dumpFilter(const Snapshot&, const RequestHeaderModifier& m, json& out) {
  if (!m.empty()) out["requestHeaders"] = headerModifier(m);
}
void dumpFilter(const Snapshot&, const ResponseHeaderModifier& m, json& out) {
  if (!m.empty()) out["responseHeaders"] = headerModifier(m);
}
void dumpFilter(const Snapshot&, const RequestRedirect& redirect, json& out) {
  json r = {{"statusCode", redirect.status_code}};
  if (redirect.scheme) r["scheme"] = *redirect.scheme;
  if (redirect.hostname) r["hostname"] = *redirect.hostname;
  if (redirect.port) r["port"] = *redirect.port;
  if (redirect.path) r["path"] = pathModifier(*redirect.path);
  out["redirect"] = r;
}
void dumpFilter(const Snapshot&, const UrlRewrite& rewrite, json& out) {
  json r = json::object();
  if (rewrite.hostname) r["hostname"] = *rewrite.hostname;
  if (rewrite.path) r["path"] = pathModifier(*rewrite.path);
  out["rewrite"] = r;
}
void dumpFilter(const Snapshot& snapshot, const RequestMirror& m, json& out) {
  out["mirrors"].push_back({{"cluster", clusterName(snapshot, m.cluster)},
                            {"fraction", std::to_string(m.numerator) + "/" + std::to_string(m.denominator)}});
}

void dumpFilter(const Snapshot&, const Cors& c, json& out) {
  out["cors"] = {{"allowOrigins", c.allow_origins},   {"allowMethods", c.allow_methods},
                 {"allowHeaders", c.allow_headers},   {"exposeHeaders", c.expose_headers},
                 {"allowCredentials", c.allow_credentials}, {"maxAge", c.max_age}};
}

json filters(const Snapshot& snapshot, const Filters& list) {
  json out = json::object();
  for (const Filter& f : list) std::visit([&](const auto& typed) { dumpFilter(snapshot, typed, out); }, f);
  return out;
}

json stringMatches(const std::vector<StringMatch>& list) {
  json a = json::array();
  for (auto& m : list)
    a.push_back({{"name", m.name},
                 {m.type == StringMatch::Type::Exact ? "exact" : "regex", m.value}});
  return a;
}

template <class Limit>
json rateLimit(const Limit& l) {
  static const char* const kKeys[] = {"Target", "ClientAddress", "Header"};
  json out = {{"policy", l.policy},     {"target", l.target},
              {"requests", l.requests}, {"windowMs", l.window_ms},
              {"key", kKeys[static_cast<size_t>(l.key)]}};
  if (l.key == LocalRateLimit::Key::Header) out["header"] = l.header;
  return out;
}

// Policies in effect, with each rate limit written out (not as its table index).
json policies(const Snapshot& snapshot, const Policies& p) {
  json out = json::object();
  if (p.local_rate_limit && *p.local_rate_limit < snapshot.local_rate_limits.size()) {
    const LocalRateLimit& l = snapshot.local_rate_limits[*p.local_rate_limit];
    json jl = rateLimit(l);
    if (l.key != LocalRateLimit::Key::Target) jl["maxKeys"] = l.max_keys;
    out["localRateLimit"] = jl;
  }
  if (p.global_rate_limit && *p.global_rate_limit < snapshot.global_rate_limits.size()) {
    const GlobalRateLimit& g = snapshot.global_rate_limits[*p.global_rate_limit];
    json jg = rateLimit(g);
    jg["failureMode"] = g.fail_closed ? "Closed" : "Open";
    out["globalRateLimit"] = jg;
  }
  if (p.fault) {
    json jf = json::object();
    if (const auto& a = p.fault->abort) {
      jf["abort"] = {{"percentage", a->percentage}};
      if (a->http_status) jf["abort"]["httpStatus"] = *a->http_status;
      if (a->grpc_status) jf["abort"]["grpcStatus"] = *a->grpc_status;
    }
    if (const auto& d = p.fault->delay) jf["delay"] = {{"percentage", d->percentage}, {"delayMs", d->delay_ms}};
    out["fault"] = jf;
  }
  if (p.rate_limit_overrides) out["rateLimitOverrides"] = true;
  if (p.fault_overrides) out["faultOverrides"] = true;
  return out;
}

json routeTable(const Snapshot& snapshot, const RouteTable& table) {
  json entries = json::array();
  for (auto& e : table.entries) {
    const char* ptype = e.match.path.type == PathMatch::Type::Exact        ? "exact"
                        : e.match.path.type == PathMatch::Type::PathPrefix ? "prefix"
                                                                           : "regex";
    json m = {{"path", {{ptype, e.match.path.value}}}, {"rule", e.rule}};
    if (!e.match.headers.empty()) m["headers"] = stringMatches(e.match.headers);
    if (!e.match.query_params.empty()) m["queryParams"] = stringMatches(e.match.query_params);
    if (e.match.method) m["method"] = *e.match.method;
    entries.push_back(m);
  }
  json rules = json::array();
  for (auto& r : table.rules) {
    json rule = {{"route", r.route}};
    if (!r.name.empty()) rule["name"] = r.name;
    // Defaults omitted, so single-rule HTTPRoutes dump as before.
    if (r.route_kind != "HTTPRoute") rule["routeKind"] = r.route_kind;
    if (r.index != 0) rule["index"] = r.index;
    json f = filters(snapshot, r.filters);
    if (!f.empty()) rule["filters"] = f;
    json backends = json::array();
    for (auto& b : r.backends) {
      json jb = {{"weight", b.weight}};
      jb["cluster"] = b.cluster ? clusterName(snapshot, *b.cluster) : json("invalid");
      json bf = filters(snapshot, b.filters);
      if (!bf.empty()) jb["filters"] = bf;
      backends.push_back(jb);
    }
    rule["backends"] = backends;
    if (r.request_timeout_ms) rule["requestTimeoutMs"] = *r.request_timeout_ms;
    if (r.backend_request_timeout_ms) rule["backendRequestTimeoutMs"] = *r.backend_request_timeout_ms;
    if (r.retry) {
      rule["retry"] = {{"codes", r.retry->codes}, {"attempts", r.retry->attempts}, {"backoffMs", r.retry->backoff_ms}};
    }
    if (!r.policies.empty()) rule["policies"] = policies(snapshot, r.policies);
    rules.push_back(rule);
  }
  return {{"entries", entries}, {"rules", rules}};
}

}  // namespace

json toJson(const Snapshot& snapshot) {
  json sockets = json::array();
  for (auto& s : snapshot.sockets) {
    json listeners = json::array();
    for (auto& l : s.listeners) {
      json hosts = json::object();
      l.hosts.forEachExact([&](const std::string& host, const RouteTablePtr& table) {
        hosts[host] = routeTable(snapshot, *table);
      });
      for (auto& [suffix, table] : l.hosts.wildcard_suffix) hosts["*" + suffix] = routeTable(snapshot, *table);
      if (l.hosts.any) hosts["*"] = routeTable(snapshot, *l.hosts.any);
      json certs = json::array();
      for (auto& c : l.certificates) certs.push_back(subjectOf(c.cert_pem));
      json jl = {{"gateway", l.gateway}, {"name", l.name}, {"hostname", l.hostname}, {"hosts", hosts}};
      if (!certs.empty()) jl["certificates"] = certs;
      if (const auto& v = l.client_validation)
        jl["clientValidation"] = {{"caCertificates", subjectsOf(v->ca_pem)},
                                  {"mode", v->allow_insecure_fallback ? "AllowInsecureFallback" : "AllowValidOnly"}};
      if (!l.policies.empty()) jl["policies"] = policies(snapshot, l.policies);
      if (const auto& c = l.backend_client_certificate) jl["backendClientCertificate"] = subjectOf(c->cert_pem);
      if (l.metrics != ListenerMetrics{})
        jl["metrics"] = {{"requests", l.metrics.requests}, {"perRouteLabels", l.metrics.per_route_labels}};
      if (s.kind == ListenerKind::SniDispatch)
        jl["protocol"] = protocolName(l.kind == ListenerKind::TlsPassthrough ? Transport::Tcp : Transport::Tls, l.kind);
      listeners.push_back(jl);
    }
    sockets.push_back({{"address", s.address},
                       {"port", s.port},
                       {"protocol", protocolName(s.transport, s.kind)},
                       {"listeners", listeners}});
  }
  std::vector<const Cluster*> live;
  for (uint32_t i = 0; i < snapshot.clusters.size(); ++i)
    if (const Cluster* c = snapshot.clusters.get(i)) live.push_back(c);
  std::sort(live.begin(), live.end(), [](const Cluster* a, const Cluster* b) { return a->name < b->name; });
  json clusters = json::array();
  for (const Cluster* cp : live) {
    const Cluster& c = *cp;
    json eps = json::array();
    for (auto& e : c.endpoints) eps.push_back(e.ip + ":" + std::to_string(e.port));
    const char* proto = c.protocol == UpstreamProtocol::Http1 ? "http1"
                        : c.protocol == UpstreamProtocol::H2c ? "h2c"
                                                              : "websocket";
    json cluster = {{"name", c.name}, {"protocol", proto}, {"endpoints", eps}};
    if (const auto& tls = c.tls) {
      json t = {{"sni", tls->sni}, {"caCertificates", tls->ca_pem.empty() ? json("System") : subjectsOf(tls->ca_pem)}};
      if (!tls->dns_names.empty()) t["dnsNames"] = tls->dns_names;
      if (!tls->uris.empty()) t["uris"] = tls->uris;
      if (!tls->usable) t["usable"] = false;
      cluster["tls"] = t;
    }
    clusters.push_back(cluster);
  }
  return {{"version", snapshot.version}, {"sockets", sockets}, {"clusters", clusters}};
}

}  // namespace gatehouse::snapshot
