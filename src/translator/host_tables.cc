#include "translator/host_tables.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "snapshot/precedence.h"
#include "translator/hostnames.h"
#include "translator/shadowing.h"

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

namespace {

bool isWildcardOrAny(const std::string& host) { return host.empty() || host.rfind("*.", 0) == 0; }

bool byPrecedence(const RouteCandidate& a, const RouteCandidate& b) {
  if (snap::precedes(*a.match, *b.match)) return true;
  if (snap::precedes(*b.match, *a.match)) return false;
  if (a.owner->creation_timestamp != b.owner->creation_timestamp)
    return a.owner->creation_timestamp < b.owner->creation_timestamp;
  if (a.owner->ns_name != b.owner->ns_name) return a.owner->ns_name < b.owner->ns_name;
  if (a.rule_index != b.rule_index) return a.rule_index < b.rule_index;
  return a.match_index < b.match_index;
}

}  // namespace

void HostRoutes::add(const std::string& host, const std::vector<RouteCandidate>& candidates) {
  auto& list = routes_[host];
  list.insert(list.end(), candidates.begin(), candidates.end());
  dirty_hosts_.insert(host);
}

void HostRoutes::remove(const std::string& host, const RouteIdentity* owner) {
  auto it = routes_.find(host);
  if (it == routes_.end()) return;
  std::erase_if(it->second, [&](const RouteCandidate& c) { return c.owner == owner; });
  if (it->second.empty()) routes_.erase(it);
  if (auto shadows = shadows_.find(host); shadows != shadows_.end()) shadows->second.erase(owner);
  dirty_hosts_.insert(host);
}

const RuleShadows* HostRoutes::shadowed(const std::string& host, const RouteIdentity* owner) const {
  auto shadows = shadows_.find(host);
  if (shadows == shadows_.end()) return nullptr;
  auto found = shadows->second.find(owner);
  return found == shadows->second.end() ? nullptr : &found->second;
}

std::vector<const RouteIdentity*> HostRoutes::takeShadowChanges() { return std::exchange(shadow_changes_, {}); }

// `host`'s candidates are sorted (build() ran).
void HostRoutes::findShadows(const std::string& host) {
  auto it = routes_.find(host);
  if (it == routes_.end()) {
    shadows_.erase(host);
    return;
  }
  const std::vector<RouteCandidate>& list = it->second;
  std::vector<const snap::RouteMatch*> matches;
  std::vector<size_t> rule_ids;
  matches.reserve(list.size());
  rule_ids.reserve(list.size());
  for (const auto& c : list) {
    matches.push_back(c.match);
    rule_ids.push_back(reinterpret_cast<size_t>(c.rule));  // one Rule object per rule of a route
  }
  const auto winners = findCoveringMatches(matches, rule_ids);
  // A rule is shadowed when all of its matches are; its first match names the winner.
  auto label = [](const RouteCandidate& c) { return c.rule->name.empty() ? std::to_string(c.rule_index) : c.rule->name; };
  struct RuleState {
    bool shadowed = true;
    RuleShadow shadow;
  };
  std::unordered_map<const RouteIdentity*, std::map<size_t, RuleState>> rules;
  for (size_t i = 0; i < list.size(); ++i) {
    auto [state, first] = rules[list[i].owner].try_emplace(list[i].rule_index);
    if (!winners[i]) {
      state->second.shadowed = false;
    } else if (first) {
      const RouteCandidate& w = list[*winners[i]];
      state->second.shadow = {label(list[i]), w.owner->ns_name, label(w)};
    }
  }
  auto& old = shadows_[host];
  std::unordered_map<const RouteIdentity*, RuleShadows> fresh;
  for (const auto& [owner, states] : rules) {
    RuleShadows shadowed;
    for (const auto& [index, state] : states)
      if (state.shadowed) shadowed.emplace(index, state.shadow);
    auto before = old.find(owner);
    const bool had = before != old.end();
    if (had ? before->second != shadowed : !shadowed.empty()) shadow_changes_.push_back(owner);
    if (!shadowed.empty()) fresh.emplace(owner, std::move(shadowed));
  }
  if (fresh.empty()) shadows_.erase(host);  // most hosts shadow nothing: keep no entry for them
  else old = std::move(fresh);
}

// A host's table holds its own routes first, then those of the wildcards that cover it (longest
// first), then host-less routes: the spec gives precedence to the route with the most specific
// matching hostname, and a request that none of those match falls through to the broader ones.
snap::RouteTablePtr HostRoutes::build(const std::string& host, const std::vector<std::string>& wildcards) {
  auto own = routes_.find(host);
  if (own == routes_.end()) return nullptr;
  std::stable_sort(own->second.begin(), own->second.end(), byPrecedence);
  std::vector<const std::vector<RouteCandidate>*> chain = {&own->second};
  if (!host.empty()) {
    const std::string name = host.rfind("*.", 0) == 0 ? host.substr(2) : host;
    for (auto& w : wildcards)
      if (w != host && wildcardMatches(w, name)) chain.push_back(&routes_[w]);
    if (auto any = routes_.find(""); any != routes_.end()) chain.push_back(&any->second);
  }
  auto rt = std::make_shared<snap::RouteTable>();
  std::unordered_map<const snap::Rule*, uint32_t> rule_index;
  for (const auto* list : chain) {
    for (const auto& c : *list) {
      auto [it, inserted] = rule_index.emplace(c.rule, static_cast<uint32_t>(rt->rules.size()));
      if (inserted) rt->rules.push_back(*c.rule);
      rt->entries.push_back({*c.match, it->second});
    }
  }
  return rt;
}

// A change under a wildcard or under "any" rebuilds every table of the listener: the others
// fall through to it.
void HostRoutes::rebuild() {
  if (!all_dirty_ && dirty_hosts_.empty()) return;
  bool all = all_dirty_;
  for (const auto& h : dirty_hosts_) all |= isWildcardOrAny(h);
  std::vector<std::string> wildcards;
  for (auto it = routes_.lower_bound("*."); it != routes_.end() && it->first.rfind("*.", 0) == 0; ++it)
    wildcards.push_back(it->first);
  std::sort(wildcards.begin(), wildcards.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  if (all) {
    // Wildcard and "any" lists are sorted first: the other tables copy them in order.
    for (auto& [host, candidates] : routes_)
      if (isWildcardOrAny(host)) std::stable_sort(candidates.begin(), candidates.end(), byPrecedence);
    snap::HostTable table;
    for (auto& [host, candidates] : routes_) {
      auto rt = build(host, wildcards);
      if (host.empty()) table.any = std::move(rt);
      else if (host.rfind("*.", 0) == 0) table.wildcard_suffix.emplace_back(host.substr(1), std::move(rt));
      else table.setExact(host, std::move(rt));
    }
    std::stable_sort(table.wildcard_suffix.begin(), table.wildcard_suffix.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    table_ = std::move(table);
  } else {
    for (const auto& host : dirty_hosts_) table_.setExact(host, build(host, wildcards));
  }
  if (all_dirty_)
    for (const auto& [host, candidates] : routes_) dirty_hosts_.insert(host);
  for (const auto& host : dirty_hosts_) findShadows(host);
  dirty_hosts_.clear();
  all_dirty_ = false;
}

}  // namespace gatehouse::translator
