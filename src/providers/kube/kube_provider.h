#pragma once
// The Kubernetes provider: every watched kind listed and watched from the API server (Reflector),
// statuses written back while this instance holds the Lease (StatusWriter, LeaderElector). One
// io_context thread runs it all; deliveries to the control loop happen on it.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "providers/kube/api_client.h"
#include "providers/kube/data_plane_addresses.h"
#include "providers/kube/event_recorder.h"
#include "providers/kube/leader_election.h"
#include "providers/kube/object_cache.h"
#include "providers/kube/provisioner.h"
#include "providers/kube/reflector.h"
#include "providers/kube/status_writer.h"
#include "providers/provider.h"

namespace gatehouse::providers::kube {

struct KubeOptions {
  std::string kubeconfig;  // empty: $KUBECONFIG, else in-cluster
  std::string controller_name;
  LeaseOptions lease;
  std::optional<ProvisionerOptions> provisioner;  // set: the leader provisions per-Gateway data planes
  // List and watch only: no Lease, no status writes, no Events, no provisioning (`explain
  // --kubernetes` reads a cluster it does not serve).
  bool read_only = false;
};

class KubeProvider : public Provider {
 public:
  explicit KubeProvider(KubeOptions options);
  ~KubeProvider() override;

  // Fails at once on credentials or certificates that cannot work; an unreachable server is
  // retried in the background (the first listing completes when it answers).
  Result<bool> start(UpdateSink* sink) override;
  void stop() override;
  // Changes arrive as the server sends them; there is nothing of ours to drain.
  void sync() override {}

  // Every status the control loop holds, asked for on becoming leader. Set before start().
  void setStatusSource(std::function<std::vector<StatusWrite>()> everything) { status_source_ = std::move(everything); }
  // From the control loop (publications follow start()): statuses to write while leading. Thread-safe.
  void writeStatuses(std::vector<StatusWrite> changed) { writer_->enqueue(std::move(changed)); }
  // Every configuration error as of now: those of watched objects become Events. Thread-safe.
  void reportErrors(const std::vector<store::ConfigError>& errors) { events_->setErrors(errors); }
  // The Gateways to provision data planes for, as of now (with KubeOptions::provisioner). Thread-safe.
  void provision(std::vector<ProvisionRequest> gateways) { provisioner_->setDesired(std::move(gateways)); }
  // With KubeOptions::provisioner: receives, on the provider's thread, the addresses of every
  // Gateway's data-plane Service ("ns/name" -> status.addresses entries) whenever one changes.
  // Set before start().
  void setDataPlaneAddressSink(std::function<void(std::map<std::string, model::Json>)> sink) {
    address_sink_ = std::move(sink);
  }
  bool leading() const { return leading_; }
  // Who holds `token` (TokenReview for `audience`): the user name, or why not. `done` runs on the
  // provider's thread. Thread-safe; only after start().
  void reviewToken(std::string token, std::string audience, std::function<void(Result<std::string>)> done);
  const std::string& server() const { return client_->server(); }

 private:
  void startReflectors();  // one per watched kind, delivering to the sink
  void deliver(std::vector<store::SourceUpdate> updates);
  void listed();
  const ServedKind* served(const std::string& kind) const;

  KubeOptions options_;
  boost::asio::io_context io_;
  std::unique_ptr<ApiClient> client_;
  std::unique_ptr<Discovery> discovery_;
  ObjectCache cache_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  std::function<std::vector<StatusWrite>()> status_source_;
  std::unique_ptr<StatusWriter> writer_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<LeaderElector> elector_;
  std::unique_ptr<Provisioner> provisioner_;
  // The provisioned Services, watched apart (their status is read): a cache of their own, since
  // the Services of the store's watch share their keys.
  ObjectCache provisioned_cache_;
  DataPlaneAddresses data_plane_addresses_;
  std::function<void(std::map<std::string, model::Json>)> address_sink_;
  UpdateSink* sink_ = nullptr;
  size_t unlisted_ = 0;  // kinds whose first listing is not complete
  bool synced_ = false;
  std::atomic<bool> leading_{false};
  std::thread thread_;
};

}  // namespace gatehouse::providers::kube
