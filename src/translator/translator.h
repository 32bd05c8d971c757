#pragma once
// The translator: from the store's typed objects to every owned object's status and the
// compiled snapshot. It keeps what it compiled between runs, so a change costs work in
// proportion to what it touches (docs/design/incremental-translation.md): a changed route (of any
// registered kind) or Service recompiles only the routes that depend on it and rebuilds only the
// host tables they appear in; an EndpointSlice only swaps its Service's endpoints; a GatewayClass,
// Gateway, Secret, Namespace or GatehouseParameters re-attaches the compiled routes; a ReferenceGrant
// also recompiles the routes with a backendRef into its namespace; anything else (BackendTLSPolicy,
// Gatehouse's policies) re-translates everything. No I/O. Pool addresses come from an AddressAllocator.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/resource.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "translator/explain.h"

namespace gatehouse::translator {

struct Options {
  std::string controller_name = "gatehouse.dev/gateway-controller";
  std::string address_pool = "127.0.1.0/24";  // CIDR handed out to Gateways without an address
  std::vector<std::string> supported_features;  // reported in GatewayClass status, sorted
};

class Translator {
 public:
  explicit Translator(Options options);
  ~Translator();
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  struct Result {
    snapshot::SnapshotPtr snapshot;
    // Statuses that are new or differ from the last run, packed (a full run hands over every
    // status); nullopt: the object has none any more.
    std::map<model::ObjectKey, std::optional<model::Packed>> changed;
    bool full = false;  // everything was re-translated
  };
  // `changed` names every object added, modified or deleted in `view` since the last run; the
  // first run translates everything.
  Result update(const store::View& view, const std::set<model::ObjectKey>& changed);

  // The last run's view of a route: nullopt when it is not in the store or not a route kind.
  std::optional<RouteExplanation> explainRoute(const model::ObjectKey& route) const;

  // "namespace/name" of a Gateway -> its pool address; kept stable across runs.
  const std::map<std::string, std::string>& poolAssignments() const;
  void setPoolAssignments(std::map<std::string, std::string> assignments);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One-shot translation of a whole view (validate, goldens, tests).
struct Input {
  const store::View* view = nullptr;
  std::map<std::string, std::string> pool_assignments;
};

struct Output {
  std::map<model::ObjectKey, model::Json> statuses;  // only objects this controller owns
  snapshot::SnapshotPtr snapshot;
  std::map<std::string, std::string> pool_assignments;
};

Output translate(const Options& options, const Input& input);

}  // namespace gatehouse::translator
