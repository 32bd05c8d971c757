#pragma once
// Built-in defaults of core kinds that a schema `default:` cannot express
// (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go and the Secret stringData merge).
#include <nlohmann/json.hpp>

namespace gatehouse::model::core {

// ports[].targetPort = ports[].port; internalTrafficPolicy Cluster unless ExternalName;
// externalTrafficPolicy Cluster for NodePort and LoadBalancer.
void serviceDefaults(nlohmann::json& service);

// stringData is write-only: its entries are base64-encoded into data (winning over data) and
// the field is dropped.
void secretDefaults(nlohmann::json& secret);

}  // namespace gatehouse::model::core
