#pragma once
// The routes of one TCP, UDP or TLS listener. An L4 connection carries no request to match, so
// per host (TLS: the SNI names a route's hostnames intersect with the listener's; TCP and UDP:
// "" only) one route serves: the oldest (creation timestamp, then "namespace/name"), as the spec
// orders conflicting routes. The others stay attached and Accepted; they serve once it goes.
#include <map>
#include <string>
#include <vector>

#include "snapshot/snapshot.h"
#include "translator/host_tables.h"

namespace gatehouse::translator {

class L4Routes {
 public:
  // host: "" = any, "*.example.com", or an exact name. `rule` outlives the entry: a route is
  // detached before it is recompiled or dropped.
  void add(const std::string& host, const snapshot::Rule* rule, const RouteIdentity* owner);
  void remove(const std::string& host, const RouteIdentity* owner);
  // Rebuilds the host table when an entry changed since the last call.
  void rebuild();
  // Each host's table holds one rule (the winning route's) and no entries.
  const snapshot::HostTable& table() const { return table_; }

 private:
  struct Entry {
    const snapshot::Rule* rule;
    const RouteIdentity* owner;
  };
  std::map<std::string, std::vector<Entry>> routes_;
  bool dirty_ = true;
  snapshot::HostTable table_;
};

}  // namespace gatehouse::translator
