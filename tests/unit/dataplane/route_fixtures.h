#pragma once
// Hand-built snapshots for router and filter tests: routes are added in the order the translator
// sees them (route by route, rule by rule, match by match) and sorted with the production
// comparator, exactly as the translator does.
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/http/message.h"
#include "snapshot/precedence.h"
#include "dataplane/http/router.h"
#include "snapshot/snapshot.h"

namespace gatehouse::testing {

inline std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Fluent RouteMatch: M().prefix("/v2").header("version", "two").method("GET")
struct M {
  snapshot::RouteMatch m;
  M& exact(std::string v) {
    m.path = {snapshot::PathMatch::Type::Exact, std::move(v), nullptr};
    return *this;
  }
  M& prefix(std::string v) {
    m.path = {snapshot::PathMatch::Type::PathPrefix, std::move(v), nullptr};
    return *this;
  }
  M& regex(std::string v) {
    auto re = std::make_shared<const re2::RE2>(v);
    m.path = {snapshot::PathMatch::Type::RegularExpression, std::move(v), std::move(re)};
    return *this;
  }
  M& header(std::string name, std::string value) {
    m.headers.push_back({snapshot::StringMatch::Type::Exact, lower(std::move(name)), std::move(value), nullptr});
    return *this;
  }
  M& headerRegex(std::string name, std::string value) {
    auto re = std::make_shared<const re2::RE2>(value);
    m.headers.push_back(
        {snapshot::StringMatch::Type::RegularExpression, lower(std::move(name)), std::move(value), std::move(re)});
    return *this;
  }
  M& query(std::string name, std::string value) {
    m.query_params.push_back({snapshot::StringMatch::Type::Exact, std::move(name), std::move(value), nullptr});
    return *this;
  }
  M& queryRegex(std::string name, std::string value) {
    auto re = std::make_shared<const re2::RE2>(value);
    m.query_params.push_back(
        {snapshot::StringMatch::Type::RegularExpression, std::move(name), std::move(value), std::move(re)});
    return *this;
  }
  M& method(std::string v) {
    m.method = std::move(v);
    return *this;
  }
  operator snapshot::RouteMatch() const { return m; }  // NOLINT: fluent
};

// One route table built rule by rule; build() sorts entries by precedence (stable).
class TableBuilder {
 public:
  // Adds a rule forwarding to `cluster` (weight 1) with these matches ("no matches" = the spec's
  // default PathPrefix "/"). Returns the rule index.
  uint32_t rule(uint32_t cluster, std::vector<snapshot::RouteMatch> matches, snapshot::Filters filters = {},
                std::string route = "ns/route") {
    snapshot::Rule r;
    r.route = std::move(route);
    r.filters = std::move(filters);
    r.backends.push_back({cluster, 1, {}});
    r.total_weight = 1;
    return add(std::move(r), std::move(matches));
  }
  // A rule without backends (redirect rules).
  uint32_t ruleWithoutBackends(std::vector<snapshot::RouteMatch> matches, snapshot::Filters filters) {
    snapshot::Rule r;
    r.route = "ns/route";
    r.filters = std::move(filters);
    return add(std::move(r), std::move(matches));
  }
  snapshot::RouteTable build() const {
    snapshot::RouteTable t = table_;
    std::stable_sort(t.entries.begin(), t.entries.end(),
                     [](const snapshot::RouteEntry& a, const snapshot::RouteEntry& b) { return snapshot::precedes(a.match, b.match); });
    return t;
  }

 private:
  uint32_t add(snapshot::Rule r, std::vector<snapshot::RouteMatch> matches) {
    uint32_t index = static_cast<uint32_t>(table_.rules.size());
    table_.rules.push_back(std::move(r));
    if (matches.empty()) matches.push_back(M().prefix("/"));
    for (auto& m : matches) table_.entries.push_back({std::move(m), index});
    return index;
  }
  snapshot::RouteTable table_;
};

// A socket with one hostname-less listener whose only table takes any host.
inline snapshot::Socket socketWith(snapshot::RouteTable table, uint16_t port = 80) {
  snapshot::Socket s;
  s.address = "127.0.0.1";
  s.port = port;
  snapshot::Listener l;
  l.gateway = "ns/gw";
  l.name = "http";
  l.hosts.any = std::make_shared<snapshot::RouteTable>(std::move(table));
  s.listeners.push_back(std::move(l));
  return s;
}

inline http::Request request(std::string path, std::vector<std::pair<std::string, std::string>> headers = {},
                             std::string method = "GET", std::string authority = "gateway.example") {
  http::Request r;
  r.method = std::move(method);
  r.scheme = "http";
  r.authority = std::move(authority);
  r.path = std::move(path);
  for (auto& [n, v] : headers) r.headers.add(std::move(n), std::move(v));
  r.listener_port = 80;
  return r;
}

// The cluster of the first backend of the rule that wins, or 0 when nothing matched (404).
inline uint32_t routedTo(const snapshot::Socket& socket, const http::Request& req) {
  http::RouteResult r = http::route(socket, req);
  if (r.rule == nullptr || r.rule->backends.empty() || !r.rule->backends[0].cluster) return 0;
  return *r.rule->backends[0].cluster;
}

constexpr uint32_t kNotFound = 0;
constexpr uint32_t kV1 = 1;  // infra-backend-v1
constexpr uint32_t kV2 = 2;  // infra-backend-v2
constexpr uint32_t kV3 = 3;  // infra-backend-v3

}  // namespace gatehouse::testing
