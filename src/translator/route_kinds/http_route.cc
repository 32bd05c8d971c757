// HTTPRoute: served by HTTP and HTTPS listeners; compiles to rules and matches placed in the
// listener's host table.
#include <re2/re2.h>

#include <algorithm>
#include <limits>
#include <variant>

#include "model/types/http_route.h"
#include "translator/filters/filter_compiler.h"
#include "translator/route_kind.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

class CompiledHttpRoute : public CompiledRoute {
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

std::shared_ptr<const re2::RE2> regex(const std::string& pattern, const std::string& what, std::string& error) {
  auto re = std::make_shared<re2::RE2>(pattern, re2::RE2::Quiet);
  if (re->ok()) return re;
  error = what + pattern + ": " + re->error();
  return nullptr;
}

std::optional<snap::RouteMatch> compileMatch(const model::HTTPRouteMatch& m, std::string& error) {
  snap::RouteMatch out;
  out.path.value = m.path.value;
  if (m.path.type == "Exact") {
    out.path.type = snap::PathMatch::Type::Exact;
  } else if (m.path.type == "RegularExpression") {
    out.path.type = snap::PathMatch::Type::RegularExpression;
    out.path.regex = regex(out.path.value, "path regular expression ", error);
    if (!out.path.regex) return std::nullopt;
  }
  auto strings = [&](const std::vector<model::HTTPStringMatch>& list, bool lower,
                     std::vector<snap::StringMatch>& into) {
    for (const auto& s : list) {
      snap::StringMatch sm;
      sm.name = s.name;
      if (lower) std::transform(sm.name.begin(), sm.name.end(), sm.name.begin(), ::tolower);
      sm.value = s.value;
      if (s.type == "RegularExpression") {
        sm.type = snap::StringMatch::Type::RegularExpression;
        sm.regex = regex(sm.value, "regular expression ", error);
        if (!sm.regex) return false;
      }
      into.push_back(std::move(sm));
    }
    return true;
  };
  if (!strings(m.headers, true, out.headers)) return std::nullopt;
  if (!strings(m.query_params, false, out.query_params)) return std::nullopt;
  out.method = m.method;
  return out;
}

// A zero duration disables the timeout (HTTPRouteTimeouts).
std::optional<uint32_t> timeout(const std::optional<uint64_t>& ms) {
  if (!ms || *ms == 0) return std::nullopt;
  return static_cast<uint32_t>(std::min<uint64_t>(*ms, std::numeric_limits<uint32_t>::max()));
}

// GEP-1731 leaves the defaults to the implementation: one retry, 25 ms backoff (Envoy's).
snap::RetryPolicy retryPolicy(const model::HTTPRouteRetry& retry) {
  snap::RetryPolicy out;
  for (int32_t code : retry.codes) out.codes.push_back(static_cast<uint16_t>(code));
  std::sort(out.codes.begin(), out.codes.end());
  out.codes.erase(std::unique(out.codes.begin(), out.codes.end()), out.codes.end());
  if (retry.attempts) out.attempts = static_cast<uint32_t>(*retry.attempts);
  if (retry.backoff_ms) {
    out.backoff_ms = static_cast<uint32_t>(std::min<uint64_t>(*retry.backoff_ms, std::numeric_limits<uint32_t>::max()));
  }
  return out;
}

class HttpRouteKind : public RouteKind {
 public:
  std::string_view kind() const override { return "HTTPRoute"; }
  bool servesProtocol(std::string_view protocol) const override { return protocol == "HTTP" || protocol == "HTTPS"; }

  std::unique_ptr<CompiledRoute> compile(const model::Resource& route, BackendResolver& backends) const override {
    const auto& spec = *route.as<model::HTTPRoute>();
    auto out = std::make_unique<CompiledHttpRoute>();
    std::optional<Condition> problem;
    out->rules.reserve(spec.rules.size());
    static const std::vector<model::HTTPRouteMatch> kMatchEverything(1);
    for (const auto& r : spec.rules) {
      snap::Rule rule;
      rule.route = route.key.ns + "/" + route.key.name;
      rule.name = r.name;
      rule.index = static_cast<uint32_t>(&r - spec.rules.data());
      compileRuleActions(r.filters, r.backend_refs, backends, problem, rule);
      rule.request_timeout_ms = timeout(r.request_timeout_ms);
      rule.backend_request_timeout_ms = timeout(r.backend_request_timeout_ms);
      if (r.retry) rule.retry = retryPolicy(*r.retry);
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

const RouteKind& httpRouteKind() {
  static const HttpRouteKind kind;
  return kind;
}

}  // namespace gatehouse::translator
