#pragma once
// Where statuses leave the control loop: the admin API's board (StatusBoard) today, the
// Kubernetes status writer next. A sink sees each publication whole: what changed (for a writer
// that patches one object's status subresource at a time) and the full table (for a reader that
// lists everything).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "controller/object_table.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

namespace gatehouse::controller {

// A status that changed since the last publication.
struct StatusChange {
  model::ObjectKey key;
  // The object as translated: its identity and generation (later its resourceVersion) tell a
  // status writer which version the status is for. Null when the object was deleted.
  model::ResourcePtr object;
  const model::Packed* status = nullptr;  // null: the object has no status any more
};

// What the control loop publishes after the data plane applied a snapshot: a route reads
// Accepted only once the snapshot that serves it is live. Valid during the publish() call;
// keep the shared pointers to hold on to any of it.
struct Publication {
  uint64_t revision = 0;           // of the store view that was translated
  snapshot::SnapshotPtr snapshot;  // live in the data plane
  std::vector<StatusChange> changed;
  std::shared_ptr<const ObjectTable> objects;  // every listed object and status, as of now
  std::shared_ptr<const std::vector<store::ConfigError>> errors;
  // How long the translation took, when this publication follows one (not on a bind retry).
  std::optional<std::chrono::nanoseconds> translation;
  // The store objects added, changed or deleted since the last publication (none when only
  // statuses were re-patched).
  std::vector<model::ObjectKey> objects_changed;
};

class StatusSink {
 public:
  virtual ~StatusSink() = default;
  // Called on the control thread, in order. Must return quickly: a sink that writes to a
  // remote API queues the changes and writes them from a thread of its own.
  virtual void publish(const Publication& publication) = 0;
};

}  // namespace gatehouse::controller
