#pragma once
// Writes the statuses the control loop computes to the API server's /status subresources, while
// this instance leads. A merge patch carrying the resourceVersion read: 409 Conflict means read
// the object again and retry. A status equal to the server's (transition times aside) is not
// written, so a steady state writes nothing.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "providers/kube/api_client.h"
#include "providers/kube/object_cache.h"

namespace gatehouse::providers::kube {

struct StatusWrite {
  model::ObjectKey key;
  std::shared_ptr<const model::Json> status;  // null: the object has no status of ours (any more)
};

class StatusWriter {
 public:
  using ServedLookup = std::function<const ServedKind*(const std::string& kind)>;
  StatusWriter(boost::asio::io_context& io, ApiClient& client, ObjectCache& cache, ServedLookup served,
               std::string controller_name);

  // Thread-safe. The statuses that changed; the latest status of an object replaces one not yet written.
  void enqueue(std::vector<StatusWrite> changed);
  // Every status the control loop holds: asked for when this instance becomes leader, since what
  // changed while it did not lead was never written.
  void setSource(std::function<std::vector<StatusWrite>()> everything);
  // Io thread. Leading starts writing (everything once, then changes); not leading stops.
  void setLeader(bool leader);

  boost::asio::awaitable<void> run();

 private:
  enum class Outcome { Done, Retry };
  boost::asio::awaitable<Outcome> write(const model::ObjectKey& key, const model::Json& status);
  void wake();

  boost::asio::io_context& io_;
  ApiClient& client_;
  ObjectCache& cache_;
  ServedLookup served_;
  std::string controller_name_;
  boost::asio::steady_timer wake_;
  bool leader_ = false;
  std::mutex mu_;  // guards the two below
  std::map<model::ObjectKey, std::shared_ptr<const model::Json>> pending_;
  std::function<std::vector<StatusWrite>()> everything_;
};

}  // namespace gatehouse::providers::kube
