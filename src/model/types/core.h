#pragma once
// The core kinds the translator reads: Namespace, Service, EndpointSlice, Secret, ConfigMap.
#include <memory>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

struct Namespace : TypedObject {
  std::map<std::string, std::string> labels;  // with kubernetes.io/metadata.name
};

struct ServicePort {
  std::string name;
  int32_t port = 0;
  std::string app_protocol;
};

struct Service : TypedObject {
  std::vector<ServicePort> ports;
};

struct EndpointSlice : TypedObject {
  std::string service_name;  // label kubernetes.io/service-name; "" when absent
  struct Port {
    std::string name;
    std::optional<int32_t> port;
  };
  struct Endpoint {
    bool ready = true;  // conditions.ready; absent counts as ready
    std::vector<std::string> addresses;
  };
  std::vector<Port> ports;
  std::vector<Endpoint> endpoints;
};

struct Secret : TypedObject {
  std::string type;
  std::map<std::string, std::string> data;  // decoded; validation admits only valid base64
};

struct ConfigMap : TypedObject {
  std::map<std::string, std::string> data;  // `data` only: CA bundles are text
};

std::shared_ptr<const TypedObject> decodeNamespace(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeService(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeEndpointSlice(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeSecret(const nlohmann::json& object);
std::shared_ptr<const TypedObject> decodeConfigMap(const nlohmann::json& object);

}  // namespace gatehouse::model
