#include "translator/host_tables.h"

#include <algorithm>
#include <unordered_map>

#include "snapshot/precedence.h"
#include "translator/hostnames.h"

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
  dirty_hosts_.insert(host);
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
  dirty_hosts_.clear();
  all_dirty_ = false;
}

}  // namespace gatehouse::translator
