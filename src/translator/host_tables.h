#pragma once
// The routes of one HTTP-serving listener by host, and the host tables compiled from them.
// Route kinds that serve HTTP (HTTPRoute, GRPCRoute) place candidates here; the tables are
// rebuilt only for the hosts whose candidates changed.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace gatehouse::translator {

// The precedence tie-breakers of the route that owns candidates (oldest first, then
// "namespace/name"); its address identifies the route's candidates for removal.
struct RouteIdentity {
  std::string creation_timestamp;
  std::string ns_name;
};

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
  // Rebuilds the tables of the hosts whose candidates changed since the last call.
  void rebuild();
  const snapshot::HostTable& table() const { return table_; }

 private:
  snapshot::RouteTablePtr build(const std::string& host, const std::vector<std::string>& wildcards);

  std::map<std::string, std::vector<RouteCandidate>> routes_;  // host -> candidates
  std::set<std::string> dirty_hosts_;
  bool all_dirty_ = true;
  snapshot::HostTable table_;  // as served
};

}  // namespace gatehouse::translator
