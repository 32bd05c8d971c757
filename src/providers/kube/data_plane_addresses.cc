#include "providers/kube/data_plane_addresses.h"

#include "providers/kube/data_plane_names.h"

namespace gatehouse::providers::kube {

using model::Json;

namespace {

const Json& field(const Json& object, const char* name) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string text(const Json& object, const char* name) {
  const Json& value = field(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

// The Gateway ("ns/name") a provisioned Service serves, or "" when it is no data-plane Service
// of the Gateway its annotation names.
std::string gatewayOf(const model::ObjectKey& service, const Json& object) {
  const std::string gateway = text(field(field(object, "metadata"), "annotations"), "gatehouse.dev/gateway");
  const auto slash = gateway.find('/');
  if (slash == std::string::npos || gateway.substr(0, slash) != service.ns) return "";
  return dataPlaneName(gateway.substr(slash + 1)) == service.name ? gateway : "";
}

}  // namespace

Json gatewayAddressesOf(const Json& service) {
  Json out = Json::array();
  // The Gateway's static addresses (data_plane_objects.h) first: what its users asked for; a load
  // balancer's come after them.
  if (const Json& external = field(field(service, "spec"), "externalIPs"); external.is_array())
    for (const auto& ip : external)
      if (ip.is_string()) out.push_back({{"type", "IPAddress"}, {"value", ip}});
  // Ingress left over from when the Service was a LoadBalancer is not an address any more.
  const bool load_balancer = text(field(service, "spec"), "type") == "LoadBalancer";
  const Json& ingress = field(field(field(service, "status"), "loadBalancer"), "ingress");
  if (load_balancer && ingress.is_array()) {
    for (const auto& entry : ingress) {
      if (const std::string ip = text(entry, "ip"); !ip.empty())
        out.push_back({{"type", "IPAddress"}, {"value", ip}});
      else if (const std::string host = text(entry, "hostname"); !host.empty())
        out.push_back({{"type", "Hostname"}, {"value", host}});
    }
  }
  if (out.empty()) {
    const std::string cluster_ip = text(field(service, "spec"), "clusterIP");
    if (!cluster_ip.empty() && cluster_ip != "None") out.push_back({{"type", "IPAddress"}, {"value", cluster_ip}});
  }
  return out;
}

void DataPlaneAddresses::forget(const model::ObjectKey& service) {
  auto it = gateway_of_.find(service);
  if (it == gateway_of_.end()) return;
  by_gateway_.erase(it->second);
  gateway_of_.erase(it);
}

bool DataPlaneAddresses::update(const std::vector<store::SourceUpdate>& updates) {
  const auto before = by_gateway_;
  for (const auto& update : updates) {
    for (const auto& key : update.deletes) forget(key);
    for (const auto& upsert : update.upserts) {
      forget(upsert.key);
      const std::string gateway = gatewayOf(upsert.key, upsert.object);
      if (gateway.empty()) continue;
      gateway_of_[upsert.key] = gateway;
      by_gateway_[gateway] = gatewayAddressesOf(upsert.object);
    }
  }
  return by_gateway_ != before;
}

}  // namespace gatehouse::providers::kube
