#include "main/explain_request.h"

#include <cstdio>
#include <cstdlib>

#include "dataplane/http/path.h"
#include "dataplane/http/router.h"
#include "snapshot/precedence.h"
#include "translator/hostnames.h"

namespace gatehouse::main {

using model::Json;
using snapshot::PathMatch;
using snapshot::RouteMatch;
using snapshot::StringMatch;

namespace {

// At most this many non-matching candidates are listed: a table of thousands of routes without
// hostnames would otherwise print all of them.
constexpr size_t kMaxNotMatched = 50;

std::string trim(std::string s) {
  const size_t begin = s.find_first_not_of(" \t");
  const size_t end = s.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

std::string ruleLabel(const snapshot::Rule& rule) {
  return rule.name.empty() ? std::to_string(rule.index) : rule.name;
}

std::string describe(const RouteMatch& m) {
  static const char* kPathTypes[] = {"Exact", "PathPrefix", "RegularExpression"};
  std::string out = std::string(kPathTypes[static_cast<int>(m.path.type)]) + " " + m.path.value;
  if (m.method) out += ", method " + *m.method;
  auto list = [&](const std::vector<StringMatch>& items, const char* what) {
    for (const auto& s : items)
      out += std::string(", ") + what + " " + s.name + (s.type == StringMatch::Type::Exact ? "=" : "~") + s.value;
  };
  list(m.headers, "header");
  list(m.query_params, "query");
  return out;
}

// The first condition of `m` the request fails, in words, each tested alone with the router's
// own matcher.
std::string mismatch(const RouteMatch& m, const http::Request& request) {
  RouteMatch probe;
  probe.path = m.path;
  if (!http::matches(probe, request)) return "path does not match";
  probe.path = PathMatch{};
  if (m.method && *m.method != request.method) return "method is not " + *m.method;
  for (const auto& h : m.headers) {
    probe.headers = {h};
    if (!http::matches(probe, request)) return "header " + h.name + " does not match";
  }
  probe.headers.clear();
  for (const auto& q : m.query_params) {
    probe.query_params = {q};
    if (!http::matches(probe, request)) return "query param " + q.name + " does not match";
  }
  return "does not match";
}

// The hostname each entry of the table `host` selects was placed under. The translator builds a
// host's table as its own candidates, then the covering wildcards' (longest first), then those
// without hostname (translator/host_tables.cc), and each of those is the whole table of that
// wildcard or of "any": so the sizes of the tables along the chain mark the boundaries.
std::vector<std::string> entryHostnames(const snapshot::HostTable& hosts, const std::string& host) {
  std::vector<std::pair<std::string, const snapshot::RouteTable*>> chain;
  if (const auto* own = hosts.exact(host)) chain.emplace_back(host, own);
  std::string name = host;
  for (const auto& [suffix, table] : hosts.wildcard_suffix) {  // longest first
    if (!translator::wildcardMatches("*" + suffix, name)) continue;
    chain.emplace_back("*" + suffix, table.get());
    name = suffix.substr(1);
  }
  if (hosts.any) chain.emplace_back("", hosts.any.get());
  std::vector<std::string> out;
  for (size_t i = 0; i < chain.size(); ++i) {
    const size_t size = chain[i].second->entries.size();
    const size_t rest = i + 1 < chain.size() ? chain[i + 1].second->entries.size() : 0;
    out.insert(out.end(), size >= rest ? size - rest : 0, chain[i].first);
  }
  return out;
}

std::string routeName(const snapshot::Rule& rule) { return rule.route_kind + "/" + rule.route; }

std::string creationTimestamp(const store::View& view, const snapshot::Rule& rule) {
  const size_t slash = rule.route.find('/');
  auto resource = view.find({rule.route_kind, rule.route.substr(0, slash), rule.route.substr(slash + 1)});
  return resource ? resource->creation_timestamp : "";
}

// Why `winner` (earlier in the table, also matching) beat `loser`: the spec's criteria in order.
std::string lostBecause(const store::View& view, const snapshot::RouteTable& table, size_t winner, size_t loser,
                        const std::vector<std::string>& hostnames) {
  const auto& w = table.entries[winner];
  const auto& l = table.entries[loser];
  auto host = [](const std::string& h) { return h.empty() ? std::string("any hostname") : h; };
  if (winner < hostnames.size() && loser < hostnames.size() && hostnames[winner] != hostnames[loser])
    return "more specific hostname (" + host(hostnames[winner]) + " over " + host(hostnames[loser]) + ")";
  if (auto reason = snapshot::precedenceReason(w.match, l.match); !reason.empty()) return reason;
  const auto& wr = table.rules[w.rule];
  const auto& lr = table.rules[l.rule];
  if (wr.route != lr.route || wr.route_kind != lr.route_kind) {
    const std::string wt = creationTimestamp(view, wr), lt = creationTimestamp(view, lr);
    if (wt != lt) return "older route (created " + wt + " before " + lt + ")";
    return "route name order (" + wr.route + " before " + lr.route + ")";
  }
  if (w.rule != l.rule) return "earlier rule of the route";
  return "earlier match of the same rule";
}

// The listeners of `socket` that serve HTTP: an SNI-dispatched port also carries TLS listeners.
snapshot::Socket httpListeners(const snapshot::Socket& socket) {
  snapshot::Socket out;
  out.address = socket.address;
  out.port = socket.port;
  for (const auto& l : socket.listeners)
    if (l.kind == snapshot::ListenerKind::HttpConnectionManager) out.listeners.push_back(l);
  return out;
}

RequestExplanation explainOn(const snapshot::Snapshot& snapshot, const store::View& view,
                             const snapshot::Socket& socket, const ParsedRequest& parsed) {
  RequestExplanation out;
  const http::Request& request = parsed.request;
  const http::RouteResult result = http::route(socket, request);
  out.gateway = result.listener->gateway;
  out.listener = result.listener->name;
  const snapshot::RouteTable* table = http::selectTable(result.listener->hosts, parsed.host);
  if (!table) {
    out.why_none = "the listener has no routes for host " + parsed.host;
    return out;
  }
  const auto hostnames = entryHostnames(result.listener->hosts, parsed.host);
  const size_t winner = result.entry ? static_cast<size_t>(result.entry - table->entries.data()) : table->entries.size();
  auto candidate = [&](size_t i, std::string reason) {
    const auto& entry = table->entries[i];
    const auto& rule = table->rules[entry.rule];
    return CandidateExplanation{routeName(rule), ruleLabel(rule), describe(entry.match),
                                i < hostnames.size() ? hostnames[i] : "", std::move(reason)};
  };
  for (size_t i = 0; i < winner; ++i) {
    if (out.not_matched.size() == kMaxNotMatched) {
      out.not_matched_omitted = winner - i;
      break;
    }
    out.not_matched.push_back(candidate(i, mismatch(table->entries[i].match, request)));
  }
  if (!result.entry) {
    out.why_none = "no route of the listener matches (404)";
    return out;
  }
  out.route = routeName(*result.rule);
  out.rule = ruleLabel(*result.rule);
  for (const auto& b : result.rule->backends) {
    const snapshot::Cluster* cluster = b.cluster ? snapshot.clusters.get(*b.cluster) : nullptr;
    out.backends.push_back({cluster ? cluster->name : "", b.weight});
  }
  for (size_t i = winner + 1; i < table->entries.size(); ++i)
    if (http::matches(table->entries[i].match, request))
      out.lost.push_back(candidate(i, lostBecause(view, *table, winner, i, hostnames)));
  return out;
}

Json candidatesJson(const std::vector<CandidateExplanation>& list) {
  Json out = Json::array();
  for (const auto& c : list)
    out.push_back({{"route", c.route}, {"rule", c.rule}, {"match", c.match}, {"hostname", c.hostname},
                   {"reason", c.reason}});
  return out;
}

std::string candidateText(const CandidateExplanation& c) {
  return c.route + " rule " + c.rule + " (" + c.match + ", " + (c.hostname.empty() ? "any hostname" : c.hostname) +
         "): " + c.reason;
}

}  // namespace

ParsedRequest parseRequest(const std::string& line, const std::vector<std::string>& headers) {
  ParsedRequest out;
  const size_t space = line.find(' ');
  const std::string url = space == std::string::npos ? "" : trim(line.substr(space + 1));
  out.request.method = space == std::string::npos ? "" : line.substr(0, space);
  const size_t scheme_end = url.find("://");
  if (out.request.method.empty() || scheme_end == std::string::npos) {
    out.error = "give the request as 'METHOD http://host[:port]/path', not '" + line + "'";
    return out;
  }
  out.request.scheme = url.substr(0, scheme_end);
  if (out.request.scheme != "http" && out.request.scheme != "https") {
    out.error = "the URL scheme must be http or https: " + url;
    return out;
  }
  const size_t path_start = url.find_first_of("/?", scheme_end + 3);
  const std::string url_authority =
      url.substr(scheme_end + 3, path_start == std::string::npos ? std::string::npos : path_start - scheme_end - 3);
  out.request.authority = url_authority;
  out.request.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (out.request.path.front() == '?') out.request.path.insert(0, "/");
  for (const auto& h : headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      out.error = "a header is 'Name: value', not '" + h + "'";
      return out;
    }
    std::string name = trim(h.substr(0, colon));
    std::string value = trim(h.substr(colon + 1));
    if (http::equalsIgnoreCase(name, "host")) out.request.authority = value;
    else out.request.headers.add(std::move(name), std::move(value));
  }
  // The port of the URL, not of a Host header: it names the socket the request arrives on.
  const size_t host_end = url_authority.rfind(']');
  const size_t colon = url_authority.find(':', host_end == std::string::npos ? 0 : host_end);
  const std::string port_text = colon == std::string::npos ? "" : url_authority.substr(colon + 1);
  out.request.listener_port = out.request.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    char* end = nullptr;
    const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
    if (*end != '\0' || port == 0 || port > 65535) {
      out.error = "not a port: " + port_text;
      return out;
    }
    out.request.listener_port = static_cast<uint16_t>(port);
  }
  if (!http::normalizePath(out.request.path)) {
    out.error = "the data plane answers 400 to the path " + out.request.path;
    return out;
  }
  out.host = http::hostWithoutPort(out.request.authority);
  return out;
}

std::vector<RequestExplanation> explainRequest(const snapshot::Snapshot& snapshot, const store::View& view,
                                               const ParsedRequest& request, const std::string& gateway) {
  std::vector<RequestExplanation> out;
  const bool tls = request.request.scheme == "https";
  bool port_served = false;
  for (const auto& socket : snapshot.sockets) {
    if (socket.port != request.request.listener_port || socket.transport == snapshot::Transport::Udp) continue;
    const bool serves_scheme = tls ? socket.transport == snapshot::Transport::Tls ||
                                         socket.kind == snapshot::ListenerKind::SniDispatch
                                   : socket.transport == snapshot::Transport::Tcp &&
                                         socket.kind == snapshot::ListenerKind::HttpConnectionManager;
    if (!serves_scheme) continue;
    const snapshot::Socket served = httpListeners(socket);
    const snapshot::Listener* listener = http::selectListener(served, request.host);
    if (!listener) {
      port_served |= !served.listeners.empty();
      continue;
    }
    if (!gateway.empty() && listener->gateway != gateway) continue;
    out.push_back(explainOn(snapshot, view, served, request));
  }
  if (out.empty()) {
    RequestExplanation none;
    none.why_none = port_served ? "no listener on port " + std::to_string(request.request.listener_port) +
                                      " takes host " + request.host
                                : "no " + request.request.scheme + " listener on port " +
                                      std::to_string(request.request.listener_port);
    if (!gateway.empty()) none.why_none += " (of Gateway " + gateway + ")";
    out.push_back(std::move(none));
  }
  return out;
}

Json toJson(const RequestExplanation& e) {
  auto orNull = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  Json backends = Json::array();
  for (const auto& b : e.backends) backends.push_back({{"backend", orNull(b.name)}, {"weight", b.weight}});
  Json out = {{"gateway", orNull(e.gateway)},
              {"listener", orNull(e.listener)},
              {"route", e.route ? Json(*e.route) : Json(nullptr)},
              {"rule", e.route ? Json(e.rule) : Json(nullptr)},
              {"backends", backends},
              {"notMatched", candidatesJson(e.not_matched)},
              {"lost", candidatesJson(e.lost)}};
  if (e.not_matched_omitted > 0) out["notMatchedOmitted"] = e.not_matched_omitted;
  if (!e.why_none.empty()) out["reason"] = e.why_none;
  return out;
}

void printText(const RequestExplanation& e) {
  if (e.gateway.empty()) {
    std::printf("gateway: none\nlistener: none\nroute: none\n%s\n", e.why_none.c_str());
    return;
  }
  std::printf("gateway: %s\nlistener: %s\n", e.gateway.c_str(), e.listener.c_str());
  if (!e.route) {
    std::printf("route: none\n%s\n", e.why_none.c_str());
  } else {
    std::printf("route: %s\nrule: %s\n", e.route->c_str(), e.rule.c_str());
    uint64_t total = 0;
    for (const auto& b : e.backends) total += b.weight;
    if (e.backends.empty()) std::printf("backend: none\n");
    for (const auto& b : e.backends) {
      const std::string name = b.name.empty() ? "none (invalid backendRef: 500)" : b.name;
      if (e.backends.size() == 1) std::printf("backend: %s\n", name.c_str());
      else std::printf("backend: %s (weight %u of %llu)\n", name.c_str(), b.weight, static_cast<unsigned long long>(total));
    }
  }
  for (const auto& c : e.not_matched) std::printf("not matched: %s\n", candidateText(c).c_str());
  if (e.not_matched_omitted > 0) std::printf("not matched: %zu more\n", e.not_matched_omitted);
  for (const auto& c : e.lost) std::printf("lost: %s\n", candidateText(c).c_str());
}

}  // namespace gatehouse::main
