#include "translator/l4_tables.h"

#include <algorithm>

namespace gatehouse::translator {

namespace snap = gatehouse::snapshot;

void L4Routes::add(const std::string& host, const snap::Rule* rule, const RouteIdentity* owner) {
  routes_[host].push_back({rule, owner});
  dirty_ = true;
}

void L4Routes::remove(const std::string& host, const RouteIdentity* owner) {
  auto it = routes_.find(host);
  if (it == routes_.end()) return;
  std::erase_if(it->second, [&](const Entry& e) { return e.owner == owner; });
  if (it->second.empty()) routes_.erase(it);
  dirty_ = true;
}

// L4 listeners hold a handful of routes: the whole table is rebuilt on any change.
void L4Routes::rebuild() {
  if (!dirty_) return;
  snap::HostTable table;
  for (const auto& [host, entries] : routes_) {
    const Entry& oldest = *std::min_element(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      if (a.owner->creation_timestamp != b.owner->creation_timestamp)
        return a.owner->creation_timestamp < b.owner->creation_timestamp;
      return a.owner->ns_name < b.owner->ns_name;
    });
    auto rt = std::make_shared<snap::RouteTable>();
    rt->rules.push_back(*oldest.rule);
    if (host.empty()) table.any = std::move(rt);
    else if (host.rfind("*.", 0) == 0) table.wildcard_suffix.emplace_back(host.substr(1), std::move(rt));
    else table.setExact(host, std::move(rt));
  }
  std::stable_sort(table.wildcard_suffix.begin(), table.wildcard_suffix.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  table_ = std::move(table);
  dirty_ = false;
}

}  // namespace gatehouse::translator
