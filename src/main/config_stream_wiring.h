#pragma once
// The controller's side of the separate-data-plane topology (`serve --kubernetes --provision`):
// snapshots go to the config stream instead of a local data plane; a data plane is admitted when
// the API server's TokenReview says its token is the Gateway's data-plane service account, and
// only by the leader (whose status writes are the ones that count); live Gateways reach the
// controller's Programmed gate.
#include <memory>

#include "common/result.h"
#include "configstream/stream_server.h"
#include "controller/controller.h"
#include "main/commands.h"
#include "providers/kube/kube_provider.h"

namespace gatehouse::main {

class StreamSink : public controller::SnapshotSink {
 public:
  void setServer(configstream::StreamServer* server) { server_ = server; }
  std::map<std::string, std::string> apply(snapshot::SnapshotPtr snapshot) override {
    if (server_) server_->publish(snapshot, snapshot->version);
    return {};
  }

 private:
  configstream::StreamServer* server_ = nullptr;
};

// What the provisioner needs of the flags: image, the stream's address as data planes dial it, its CA.
Result<providers::kube::ProvisionerOptions> provisionerOptions(const ServeFlags& flags);

// The Gateways of ours (those the translator gave a status) with what their data planes need:
// listener ports, infrastructure, and the parameters of the GatehouseParameters named by the
// GatewayClass's parametersRef (defaults) and the Gateway's infrastructure.parametersRef (over them).
std::vector<providers::kube::ProvisionRequest> provisionRequests(const controller::ObjectTable& objects);

Result<std::unique_ptr<configstream::StreamServer>> startConfigStream(const ServeFlags& flags,
                                                                      providers::kube::KubeProvider* kube,
                                                                      controller::Controller* controller);

}  // namespace gatehouse::main
