// GRPCRoute: served by HTTP and HTTPS listeners (gRPC is HTTP/2: h2c with prior knowledge or
// ALPN h2); compiles to the same rules and matches as HTTPRoute, placed in the listener's host
// table. A gRPC method is the request path "/<service>/<method>", so a method match is a path
// match, and gRPC calls are POSTs:
//   Exact service + method          -> Exact "/<service>/<method>", POST
//   Exact service only              -> PathPrefix "/<service>/", POST
//   Exact method only, or any
//   RegularExpression               -> RegularExpression "/<service>/<method>" (an absent part: [^/]+), POST
//   no method match                 -> RegularExpression ".*"
// GRPCRoute precedence (service characters, then method characters, then header matches) thus
// follows from HTTPRoute's (snapshot/precedence.h: path kind, then method, then headers): an
// exact method beats its service alone, which beats a regex or method-only match (for one
// request every exact service match names the same service), which beats no method match (all
// regex paths tie, and the POST method decides); header counts break the remaining ties.
#include <re2/re2.h>

#include <algorithm>

#include "model/types/grpc_route.h"
#include "translator/filters/filter_compiler.h"
#include "translator/route_kind.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

class CompiledGrpcRoute : public CompiledRoute {
 public:
  void place(ListenerTables& tables, const std::string& host, const RouteIdentity* owner) const override {
    std::vector<RouteCandidate> candidates;
    for (size_t ri = 0; ri < rules.size(); ++ri)
      for (size_t mi = 0; mi < matches[ri].size(); ++mi)
        candidates.push_back({&matches[ri][mi], &rules[ri], owner, ri, mi});
    tables.hosts.add(host, candidates);
  }
  void forEachRule(const std::function<void(snap::Rule&)>& f) override {
    for (snap::Rule& rule : rules) f(rule);
  }

  std::vector<snap::Rule> rules;  // stable storage; candidates point into it
  std::vector<std::vector<snap::RouteMatch>> matches;
};

std::shared_ptr<const re2::RE2> regex(const std::string& pattern, std::string& error) {
  auto re = std::make_shared<re2::RE2>(pattern, re2::RE2::Quiet);
  if (re->ok()) return re;
  error = "regular expression " + pattern + ": " + re->error();
  return nullptr;
}

std::shared_ptr<const re2::RE2> matchEverything() {
  static const auto re = std::make_shared<const re2::RE2>(".*");
  return re;
}

// A method match naming a service, a method or both.
bool compileMethod(const model::GRPCMethodMatch& m, snap::PathMatch& out, std::string& error) {
  const bool exact = m.type != "RegularExpression";
  if (exact && m.service && m.method) {
    out.type = snap::PathMatch::Type::Exact;
    out.value = "/" + *m.service + "/" + *m.method;
    return true;
  }
  if (exact && m.service) {
    out.type = snap::PathMatch::Type::PathPrefix;
    out.value = "/" + *m.service + "/";
    return true;
  }
  auto part = [&](const std::optional<std::string>& p) {
    if (!p) return std::string("[^/]+");
    return exact ? re2::RE2::QuoteMeta(*p) : "(?:" + *p + ")";
  };
  out.type = snap::PathMatch::Type::RegularExpression;
  out.value = "/" + part(m.service) + "/" + part(m.method);
  out.regex = regex(out.value, error);
  return out.regex != nullptr;
}

std::optional<snap::RouteMatch> compileMatch(const model::GRPCRouteMatch& m, std::string& error) {
  snap::RouteMatch out;
  if (m.method && (m.method->service || m.method->method)) {
    if (!compileMethod(*m.method, out.path, error)) return std::nullopt;
    out.method = "POST";
  } else {
    out.path.type = snap::PathMatch::Type::RegularExpression;
    out.path.value = ".*";
    out.path.regex = matchEverything();
  }
  for (const auto& h : m.headers) {
    snap::StringMatch sm;
    sm.name = h.name;
    std::transform(sm.name.begin(), sm.name.end(), sm.name.begin(), ::tolower);
    sm.value = h.value;
    if (h.type == "RegularExpression") {
      sm.type = snap::StringMatch::Type::RegularExpression;
      sm.regex = regex(sm.value, error);
      if (!sm.regex) return std::nullopt;
    }
    out.headers.push_back(std::move(sm));
  }
  return out;
}

class GrpcRouteKind : public RouteKind {
 public:
  std::string_view kind() const override { return "GRPCRoute"; }
  bool servesProtocol(std::string_view protocol) const override { return protocol == "HTTP" || protocol == "HTTPS"; }

  std::unique_ptr<CompiledRoute> compile(const model::Resource& route, BackendResolver& backends) const override {
    const auto& spec = *route.as<model::GRPCRoute>();
    auto out = std::make_unique<CompiledGrpcRoute>();
    std::optional<Condition> problem;
    out->rules.reserve(spec.rules.size());
    static const std::vector<model::GRPCRouteMatch> kMatchEverything(1);
    for (const auto& r : spec.rules) {
      snap::Rule rule;
      rule.route = route.key.ns + "/" + route.key.name;
      rule.route_kind = "GRPCRoute";
      rule.name = r.name;
      rule.index = static_cast<uint32_t>(&r - spec.rules.data());
      compileRuleActions(r.filters, r.backend_refs, backends, problem, rule);
      std::vector<snap::RouteMatch> matches;
      for (const auto& m : r.matches.empty() ? kMatchEverything : r.matches) {
        std::string error;
        auto compiled = compileMatch(m, error);
        if (!compiled) {
          out->not_accepted = Condition{condition::kAccepted, false, reason::kUnsupportedValue, error};
          break;
        }
        matches.push_back(std::move(*compiled));
      }
      out->rules.push_back(std::move(rule));
      out->matches.push_back(std::move(matches));
    }
    if (problem) out->resolved_refs = *problem;
    return out;
  }
};

}  // namespace

const RouteKind& grpcRouteKind() {
  static const GrpcRouteKind kind;
  return kind;
}

}  // namespace gatehouse::translator
