#pragma once
// Gateway status.addresses in the provisioned topology: a Gateway is reached through its data
// plane's Service, so its addresses are that Service's (docs/design/config-stream.md). Fed by the
// watch of provisionedServices(); pure bookkeeping, no I/O.
#include <map>
#include <string>
#include <vector>

#include "model/resource.h"
#include "store/store.h"

namespace gatehouse::providers::kube {

// The status.addresses entries a data-plane Service gives its Gateway: its spec.externalIPs (the
// Gateway's static addresses), then for a LoadBalancer each status.loadBalancer.ingress[] `ip`
// (type IPAddress) or `hostname` (type Hostname); with none of these, its spec.clusterIP; nothing
// for a headless one.
model::Json gatewayAddressesOf(const model::Json& service);

class DataPlaneAddresses {
 public:
  // Records the Services of one delivery; true when some Gateway's addresses changed. A Service
  // counts for the Gateway its gatehouse.dev/gateway annotation names only when it bears that
  // Gateway's data-plane name in the Gateway's namespace.
  bool update(const std::vector<store::SourceUpdate>& updates);
  // "ns/name" of each Gateway with a data-plane Service -> its status.addresses entries.
  const std::map<std::string, model::Json>& byGateway() const { return by_gateway_; }
  // Each data-plane Service -> the Gateway ("ns/name") it serves.
  const std::map<model::ObjectKey, std::string>& services() const { return gateway_of_; }

 private:
  void forget(const model::ObjectKey& service);

  std::map<model::ObjectKey, std::string> gateway_of_;  // Service -> the Gateway it counts for
  std::map<std::string, model::Json> by_gateway_;
};

}  // namespace gatehouse::providers::kube
