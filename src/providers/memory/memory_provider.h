#pragma once
// A provider whose objects are set by code: tests, and any embedder that builds objects itself.
// Each source holds a set of objects; setting a source replaces its set (objects no longer in it
// are deleted) and is delivered at once, on the caller's thread.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "providers/provider.h"

namespace gatehouse::providers {

class MemoryProvider : public Provider {
 public:
  // Delivers the sources set so far as the first listing, then delivers each later change.
  Result<bool> start(UpdateSink* sink) override;
  void stop() override;
  void sync() override {}  // every change is delivered before the call that made it returns

  // Makes `source` hold exactly `objects` (each a whole manifest with kind and metadata.name).
  // An object without identity is reported as an error of the source.
  void set(const std::string& source, std::vector<model::Json> objects);
  // Deletes every object of `source`.
  void remove(const std::string& source);

 private:
  // With mu_ held: delivers `update` after deleting the objects the source held and no longer
  // does, and records it as what the source holds.
  void replace(store::SourceUpdate update);

  std::mutex mu_;
  UpdateSink* sink_ = nullptr;
  std::map<std::string, store::SourceUpdate> sources_;  // what each source holds (no deletes)
};

}  // namespace gatehouse::providers
