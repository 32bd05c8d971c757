#include "model/types/core.h"

#include "model/base64.h"
#include "model/json_access.h"
#include "model/types/decode_parts.h"

namespace gatehouse::model {

using Json = nlohmann::json;

std::shared_ptr<const TypedObject> decodeNamespace(const Json& object) {
  auto out = std::make_shared<Namespace>();
  out->labels = decoding::labelsOf(object);
  return out;
}

std::shared_ptr<const TypedObject> decodeService(const Json& object) {
  auto out = std::make_shared<Service>();
  for (const auto& p : arr(obj(object, "spec"), "ports"))
    out->ports.push_back({str(p, "name"), static_cast<int32_t>(integer(p, "port", -1)), str(p, "appProtocol")});
  return out;
}

std::shared_ptr<const TypedObject> decodeEndpointSlice(const Json& object) {
  auto out = std::make_shared<EndpointSlice>();
  out->service_name = str(obj(obj(object, "metadata"), "labels"), "kubernetes.io/service-name");
  for (const auto& p : arr(object, "ports")) {
    EndpointSlice::Port port{str(p, "name"), std::nullopt};
    if (auto it = p.find("port"); it != p.end() && it->is_number_integer()) port.port = it->get<int32_t>();
    out->ports.push_back(std::move(port));
  }
  for (const auto& ep : arr(object, "endpoints")) {
    const Json& conditions = obj(ep, "conditions");
    auto ready = conditions.find("ready");
    out->endpoints.push_back({ready == conditions.end() || !ready->is_boolean() || ready->get<bool>(),
                              decoding::strings(arr(ep, "addresses"))});
  }
  return out;
}

std::shared_ptr<const TypedObject> decodeSecret(const Json& object) {
  auto out = std::make_shared<Secret>();
  out->type = str(object, "type");
  for (const auto& [key, value] : obj(object, "data").items()) {
    if (!value.is_string()) continue;
    if (auto bytes = base64Decode(value.get_ref<const std::string&>())) out->data[key] = std::move(*bytes);
  }
  return out;
}

std::shared_ptr<const TypedObject> decodeConfigMap(const Json& object) {
  auto out = std::make_shared<ConfigMap>();
  for (const auto& [key, value] : obj(object, "data").items())
    if (value.is_string()) out->data[key] = value.get<std::string>();
  return out;
}

}  // namespace gatehouse::model
