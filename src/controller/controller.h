#pragma once
// The control loop: provider updates -> store -> translator -> data plane -> status. Calls are
// serialised by one mutex; everything it hands to other threads is immutable.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/status_board.h"
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
  Controller(translator::Options options, SnapshotSink* sink, StatusBoard* board);
  ~Controller() override;

  // Stores a batch of updates and reconciles if anything changed. Thread-safe.
  void update(std::vector<store::SourceUpdate> batch) override;
  // Stores updates without reconciling: the first listing, in parts. Thread-safe.
  void load(std::vector<store::SourceUpdate> part) override;
  // Tries again to bind the addresses that failed last time (a port freed by another process):
  // reconciles only while some address is unusable. Thread-safe.
  void retryUnusable();
  // The objects and statuses as of now, for the admin API: copies, made when first asked for
  // after a change. Thread-safe.
  StatusBoard::Sources sources();

 private:
  // With mu_ held: applies updates to the store (true if any object changed); translates what
  // changed, applies and publishes.
  bool apply(std::vector<store::SourceUpdate> updates);
  void reconcile();
  static model::Json statusWithTransitions(const model::Json& status, const model::Json* previous);
  void publish(const translator::Translator::Result& result);

  std::mutex mu_;
  SnapshotSink* sink_;
  StatusBoard* board_;
  store::Store store_;
  translator::Translator translator_;
  std::map<std::string, std::string> unusable_;
  Statuses statuses_;                              // as published, with time stamps
  std::shared_ptr<const Statuses> statuses_copy_;  // for the admin API, while unchanged
  size_t reported_errors_ = 0;
};


}  // namespace gatehouse::controller
