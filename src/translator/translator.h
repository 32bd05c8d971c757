#pragma once
// The translator: a pure function from a store view to every object's status and the compiled
// snapshot. No I/O; the only state carried between runs is handed in (address assignments,
// addresses the data plane could not bind) and handed back.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/resource.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::translator {

struct Options {
  std::string controller_name = "gatehouse.dev/gateway-controller";
  std::string address_pool = "127.0.1.0/24";  // CIDR handed out to Gateways without an address
  std::vector<std::string> supported_features;  // reported in GatewayClass status, sorted
};

struct Input {
  const store::View* view = nullptr;
  // "namespace/name" of a Gateway -> the pool address it got last time (kept stable).
  std::map<std::string, std::string> pool_assignments;
  // Address -> reason, for addresses the data plane could not bind.
  std::map<std::string, std::string> unusable_addresses;
};

struct Output {
  std::map<model::ObjectKey, model::Json> statuses;  // only objects this controller owns
  snapshot::SnapshotPtr snapshot;
  std::map<std::string, std::string> pool_assignments;
};

Output translate(const Options& options, const Input& input);

}  // namespace gatehouse::translator
