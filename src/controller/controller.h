#pragma once
// The control loop: provider changes -> store -> translator -> data plane -> status. Runs on
// one thread; everything it hands to other threads is immutable.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/status_board.h"
#include "providers/file/directory_watcher.h"
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

class Controller {
 public:
  Controller(translator::Options options, SnapshotSink* sink, StatusBoard* board);

  // Applies a batch of file changes and reconciles if anything changed. Thread-safe.
  void onFiles(const std::vector<providers::FileChange>& changes);
  // Tries again to bind the addresses that failed last time (a port freed by another process):
  // reconciles only while some address is unusable. Thread-safe.
  void retryUnusable();


 private:
  // Translates, applies and publishes the current store content. With mu_ held.
  void reconcile();
  static model::Json statusWithTransitions(const model::Json& status, const model::Json* previous);
  void publish(const std::shared_ptr<const store::View>& view, const translator::Output& out);

  std::mutex mu_;
  translator::Options options_;
  SnapshotSink* sink_;
  StatusBoard* board_;
  store::Store store_;
  std::map<std::string, std::string> pool_assignments_;
  std::map<std::string, std::string> unusable_;
  std::map<model::ObjectKey, model::Json> raw_statuses_;  // as translated, before time stamps
  std::shared_ptr<const Statuses> statuses_;              // as published
  size_t reported_errors_ = 0;
};


}  // namespace gatehouse::controller
