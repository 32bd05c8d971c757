#pragma once
// What the admin API shows: every object with its status, the compiled config, the emulated
// infrastructure objects, the configuration errors. The control thread publishes immutable
// inputs (a pointer swap under a short lock); the admin thread renders JSON from them on first
// request and keeps it until the next publication, so a change costs the control loop nothing
// for documents nobody reads.
#include <map>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::controller {

using Statuses = std::map<model::ObjectKey, nlohmann::json>;

class StatusBoard {
 public:
  using Doc = std::shared_ptr<const nlohmann::json>;

  void publish(std::shared_ptr<const store::View> view, std::shared_ptr<const Statuses> statuses,
               snapshot::SnapshotPtr snapshot, std::shared_ptr<const nlohmann::json> errors);

  Doc objects() const;         // Kubernetes List of Gateway API objects with status
  Doc config() const;          // the compiled snapshot
  Doc infrastructure() const;  // emulated data-plane objects per Gateway
  Doc errors() const;
  bool ready() const;

 private:
  struct Publication {
    std::shared_ptr<const store::View> view;
    std::shared_ptr<const Statuses> statuses;
    snapshot::SnapshotPtr snapshot;
    Doc errors;
    mutable std::mutex render_mu;
    mutable Doc objects, config, infrastructure;  // rendered on demand
  };
  std::shared_ptr<const Publication> current() const;

  mutable std::mutex mu_;
  std::shared_ptr<const Publication> current_;
};

// The Gateway API objects whose status the admin API lists.
bool isGatewayApiKind(const std::string& kind);

}  // namespace gatehouse::controller
