#pragma once
// A provider is a source of objects: the manifest directory today (providers/file), the
// Kubernetes API server next. It hands the control loop store updates (object upserts and
// deletes grouped by source, see store.h) and knows nothing of what happens to them.
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace gatehouse::providers {

// Where a provider delivers: the control loop. Called from the provider's threads.
class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  // A part of the first listing: stored, not yet translated.
  virtual void load(std::vector<store::SourceUpdate> part) = 0;
  // Changes, or the end of the first listing (possibly empty): stored and translated.
  virtual void update(std::vector<store::SourceUpdate> batch) = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Lists every object (sink->load, in parts), ends the listing with sink->update, then delivers
  // each batch of changes with sink->update from a thread of its own until stop().
  virtual Result<bool> start(UpdateSink* sink) = 0;
  virtual void stop() = 0;
  // Returns once every change made before the call has been delivered (and so translated and
  // published): a client that wrote and then reads status sees its write, as with the API server.
  virtual void sync() = 0;
};

}  // namespace gatehouse::providers
