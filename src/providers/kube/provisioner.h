#pragma once
// Applies, while this instance leads, each accepted Gateway's data-plane objects
// (data_plane_objects.h) with server-side apply. An object is applied again only when its
// rendering changed, so a steady state writes nothing; the Gateway owns them, so the API server
// deletes them with it. A Gateway that leaves our class loses them too (deleted here), while one
// of ours that is not accepted keeps what it had: a typo in its parameters must not give away
// its load balancer's address.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "providers/kube/api_client.h"
#include "providers/kube/data_plane_objects.h"
#include "providers/kube/object_cache.h"

namespace gatehouse::providers::kube {

struct ProvisionerOptions {
  std::string image, controller, controller_ca;  // DataPlaneSpec's, the same for every Gateway
  // "ns/name" of the controller's own Pod: with `image` empty, data planes run the image of its
  // first container (the controller's own, wherever a kustomize overlay points it).
  std::string own_pod;
};

// One Gateway to provision, as the control loop knows it.
struct ProvisionRequest {
  std::string ns, name;
  model::Json infrastructure;  // spec.infrastructure, or null
  model::Json parameters;      // DataPlaneSpec::parameters: the GatehouseParameters spec in effect, or null
  std::vector<DataPlanePort> ports;
  std::vector<std::string> addresses;  // DataPlaneSpec's
  bool accepted = false;  // provisioned only when Accepted=True; kept either way
};

class Provisioner {
 public:
  Provisioner(boost::asio::io_context& io, ApiClient& client, ObjectCache& cache, ProvisionerOptions options);

  // Every Gateway of ours, as of now. Thread-safe.
  void setDesired(std::vector<ProvisionRequest> gateways);
  // Io thread: the data-plane Services that exist (Service -> the Gateway "ns/name" it serves).
  void setProvisioned(std::map<model::ObjectKey, std::string> services);
  // Io thread. Leading applies what differs from what this instance applied; not leading stops.
  void setLeader(bool leader);
  boost::asio::awaitable<void> run();

 private:
  boost::asio::awaitable<bool> apply(const model::Json& object);
  boost::asio::awaitable<bool> readOwnImage();
  // Deletes the data planes of Gateways not in `ours`; false when a deletion failed.
  boost::asio::awaitable<bool> removeOrphans(const std::vector<ProvisionRequest>& ours);

  boost::asio::io_context& io_;
  ApiClient& client_;
  ObjectCache& cache_;
  ProvisionerOptions options_;
  boost::asio::steady_timer wake_;
  bool leader_ = false;
  std::map<std::string, std::string> applied_;  // "Kind/ns/name" -> the JSON applied
  std::map<model::ObjectKey, std::string> provisioned_;
  std::mutex mu_;  // guards the three below
  std::vector<ProvisionRequest> desired_;
  bool known_ = false;  // desired_ was set: before the first translation nothing is an orphan
  bool changed_ = false;
};

}  // namespace gatehouse::providers::kube
