#pragma once
// What the provisioner creates for a Gateway in the separate-data-plane topology: a
// ServiceAccount, a Deployment running `gatehouse dataplane` and a Service in front of it, all in
// the Gateway's namespace, named dataPlaneName(gateway), owned by the Gateway (deleted with it).
// Pure rendering; docs/design/config-stream.md.
#include <cstdint>
#include <string>
#include <vector>

#include "model/resource.h"

namespace gatehouse::providers::kube {

struct DataPlanePort {
  uint16_t port = 0;
  std::string protocol = "TCP";  // TCP | UDP
};

struct DataPlaneSpec {
  std::string ns, gateway, gateway_uid;
  model::Json infrastructure;  // the Gateway's spec.infrastructure (labels, annotations), or null
  model::Json parameters;      // spec of the GatehouseParameters it names (infrastructure.parametersRef), or null
  std::vector<DataPlanePort> ports;  // of its listeners, distinct
  std::vector<std::string> addresses;  // the IPAddress values of its spec.addresses
  std::string image;       // the controller's own image
  std::string controller;  // the config stream's HOST:PORT as data planes reach it
  std::string controller_ca;  // PEM, public: goes into the pod template
};

// ServiceAccount, Deployment, Service, in that order (the Deployment's pods need the account).
// Parameters: replicas (default 1), serviceType (default LoadBalancer), resources (the
// container's), annotations (added to all three, after the Gateway's own), accessLog, tracing,
// metrics and rateLimit (the container's --access-log*, --otlp-endpoint, --trace-sampling,
// --metrics-per-route-labels and --rate-limit-redis* flags; accessLog's path defaults to "-",
// stdout; rateLimit.redis's password Secret, CA ConfigMap and client certificate Secret are
// mounted read-only, from the Gateway's namespace). The Gateway's static
// addresses become the Service's externalIPs: the cluster routes them to the data plane on every
// node, whatever the Service's type, and no cloud-specific field is guessed.
std::vector<model::Json> renderDataPlane(const DataPlaneSpec& spec);

}  // namespace gatehouse::providers::kube
