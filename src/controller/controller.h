#pragma once
// The control loop: provider updates -> store -> translator -> data plane -> status sinks.
// Calls are serialised by one mutex; what it hands to other threads is immutable, so nothing
// outside it ever waits on that mutex to read (see docs/design/controller.md).
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/data_plane_gate.h"
#include "controller/object_table.h"
#include "controller/status_sink.h"
#include "controller/unusable_addresses.h"
#include "providers/provider.h"
#include "snapshot/snapshot.h"
#include "store/store.h"
#include "translator/translator.h"

namespace gatehouse::controller {

// Where compiled snapshots go (the data plane). Returns the addresses it could not bind,
// address -> reason, so status can say AddressNotUsable.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual std::map<std::string, std::string> apply(snapshot::SnapshotPtr snapshot) = 0;
};

class Controller : public providers::UpdateSink {
 public:
  Controller(translator::Options options, SnapshotSink* sink, std::vector<StatusSink*> status_sinks,
             store::Generation generation = store::Generation::Counted);

  // Stores a batch of updates and reconciles if anything changed. Thread-safe.
  void update(std::vector<store::SourceUpdate> batch) override;
  // Stores updates without reconciling: the first listing, in parts. Thread-safe.
  void load(std::vector<store::SourceUpdate> part) override;
  // Applies the live snapshot again so the data plane retries the addresses that failed (a port
  // freed by another process); only while some address is unusable. No translation. Thread-safe.
  void retryUnusable();
  // Separate data planes (issue 9's cluster topology): a Gateway reads Programmed only while a
  // data plane of it is connected and has applied its config (setLiveGateways). Call before start.
  void gateOnDataPlanes() { gate_ = DataPlaneGate(true); }
  // The Gateways ("ns/name") now live. Thread-safe.
  void setLiveGateways(std::set<std::string> live);
  // With gateOnDataPlanes: each Gateway's addresses, those of its data-plane Service ("ns/name"
  // -> status.addresses entries). Thread-safe.
  void setDataPlaneAddresses(std::map<std::string, model::Json> addresses);

 private:
  // With mu_ held: applies updates to the store; true if any object changed.
  bool apply(std::vector<store::SourceUpdate> updates);
  // With mu_ held: translates what changed, applies the snapshot, publishes.
  void reconcile();
  static model::Json statusWithTransitions(const model::Json& status, const model::Json* previous);
  void publish(UnusableAddresses::Statuses changed);

  std::mutex mu_;
  SnapshotSink* sink_;
  std::vector<StatusSink*> status_sinks_;
  store::Store store_;
  translator::Translator translator_;
  snapshot::SnapshotPtr live_snapshot_;  // the last one applied
  UnusableAddresses unusable_;
  DataPlaneGate gate_{false};
  ObjectTable table_;  // as published: listed objects and statuses, with time stamps
  bool published_ = false;
  uint64_t reported_errors_ = 0;  // the store's errorsRevision() last published
  std::optional<std::chrono::nanoseconds> translation_;  // of the reconcile now publishing
  std::vector<model::ObjectKey> objects_changed_;        // by the reconcile now publishing
};

}  // namespace gatehouse::controller
