#pragma once
// The routes of one HTTP-serving listener by host, and the host tables compiled from them.
// Route kinds that serve HTTP (HTTPRoute, GRPCRoute) place candidates here; the tables are
// rebuilt only for the hosts whose candidates changed.
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/resource.h"
#include "snapshot/snapshot.h"

namespace gatehouse::translator {

// The precedence tie-breakers of the route that owns candidates (oldest first, then
// "namespace/name"); its address identifies the route's candidates for removal.
struct RouteIdentity {
  std::string creation_timestamp;
  std::string ns_name;
  model::ObjectKey key;
};

// A rule whose every match under one host is covered by an earlier match of another rule
// (shadowing.h): it never receives traffic there. Names the winner of its first match.
struct RuleShadow {
  std::string rule;          // the shadowed rule: its name, else its zero-based index
  std::string winner_route;  // "namespace/name"
  std::string winner_rule;   // as `rule`
  bool operator==(const RuleShadow&) const = default;
};
using RuleShadows = std::map<size_t, RuleShadow>;  // by the shadowed rule's index

// One (match, rule) of an attached route under one host. Points into the route's compiled form,
// which outlives it: a route is detached before it is recompiled or dropped.
struct RouteCandidate {
  const snapshot::RouteMatch* match = nullptr;
  const snapshot::Rule* rule = nullptr;
  const RouteIdentity* owner = nullptr;
  size_t rule_index = 0, match_index = 0;
};

class HostRoutes {
 public:
  // host: "" = any, "*.example.com", or an exact name. A route without candidates still puts
  // the host in the table (with an empty route table).
  void add(const std::string& host, const std::vector<RouteCandidate>& candidates);
  void remove(const std::string& host, const RouteIdentity* owner);
  // Rebuilds the tables, and the shadowed rules, of the hosts whose candidates changed since
  // the last call.
  void rebuild();
  const snapshot::HostTable& table() const { return table_; }
  // The rules of `owner` shadowed under `host` as of the last rebuild; null when none is.
  const RuleShadows* shadowed(const std::string& host, const RouteIdentity* owner) const;
  // The routes whose shadowed rules changed in the rebuilds since the last call (only routes
  // still placed here; one that left was detached and gets its status anew anyway).
  std::vector<const RouteIdentity*> takeShadowChanges();

 private:
  snapshot::RouteTablePtr build(const std::string& host, const std::vector<std::string>& wildcards);
  // Shadowing only compares candidates of one host: a more specific host's candidates precede
  // a broader one's in every table, so only equals can cover each other.
  void findShadows(const std::string& host);

  std::map<std::string, std::vector<RouteCandidate>> routes_;  // host -> candidates
  std::set<std::string> dirty_hosts_;
  bool all_dirty_ = true;
  snapshot::HostTable table_;  // as served
  std::map<std::string, std::unordered_map<const RouteIdentity*, RuleShadows>> shadows_;  // host -> owner -> rules
  std::vector<const RouteIdentity*> shadow_changes_;
};

}  // namespace gatehouse::translator
