#pragma once
// Configuration errors of watched objects become Kubernetes Events on the object (type Warning,
// reason InvalidConfiguration), so `kubectl describe` shows why an object is not served. Each
// error is recorded once while it lasts; only the leader records.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "providers/kube/api_client.h"
#include "providers/kube/object_cache.h"
#include "store/store.h"

namespace gatehouse::providers::kube {

class EventRecorder {
 public:
  EventRecorder(boost::asio::io_context& io, ApiClient& client, ObjectCache& cache, std::string controller_name,
                std::string instance);

  // Thread-safe. Every configuration error as of now (those of other sources are ignored).
  void setErrors(const std::vector<store::ConfigError>& errors);
  // Io thread.
  void setLeader(bool leader);
  boost::asio::awaitable<void> run();

 private:
  struct Pending {
    model::ObjectKey key;
    std::string message;
  };
  boost::asio::awaitable<bool> record(const Pending& event);

  boost::asio::io_context& io_;
  ApiClient& client_;
  ObjectCache& cache_;
  std::string controller_name_, instance_;
  boost::asio::steady_timer wake_;
  bool leader_ = false;
  std::mutex mu_;  // guards the two below
  std::map<std::string, Pending> current_;  // by "object: message"
  std::set<std::string> recorded_;
};

}  // namespace gatehouse::providers::kube
