#pragma once
// What the admin API shows: every object with its status, the compiled config, the emulated
// infrastructure objects, the configuration errors. The control thread publishes the snapshot
// and the errors (a pointer swap under a short lock); objects and statuses are fetched from
// their source only when a document that shows them is first requested after a publication,
// so a change costs the control loop nothing for documents nobody reads.
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::controller {

using Statuses = std::map<model::ObjectKey, model::Packed>;

class StatusBoard {
 public:
  using Doc = std::shared_ptr<const nlohmann::json>;

  struct Sources {
    std::shared_ptr<const store::View> view;
    std::shared_ptr<const Statuses> statuses;
  };
  // Where objects and statuses come from; called on the admin thread, must be thread-safe.
  void setSource(std::function<Sources()> source);
  void publish(snapshot::SnapshotPtr snapshot, std::shared_ptr<const nlohmann::json> errors);

  Doc objects() const;         // Kubernetes List of Gateway API objects with status
  Doc config() const;          // the compiled snapshot
  Doc infrastructure() const;  // emulated data-plane objects per Gateway
  Doc errors() const;
  bool ready() const;

 private:
  struct Publication {
    snapshot::SnapshotPtr snapshot;
    Doc errors;
    mutable std::mutex render_mu;
    mutable Doc objects, config, infrastructure;  // rendered on demand
    mutable std::optional<Sources> sources;       // fetched on demand
  };
  const Sources& sourcesOf(const Publication& p) const;  // with p.render_mu held
  std::shared_ptr<const Publication> current() const;

  mutable std::mutex mu_;
  std::shared_ptr<const Publication> current_;
  std::function<Sources()> source_;
};

// The Gateway API objects whose status the admin API lists.
bool isGatewayApiKind(const std::string& kind);

}  // namespace gatehouse::controller
