#include "translator/backends.h"

#include "translator/references.h"

namespace gatehouse::translator {

using model::ObjectKey;
namespace snap = gatehouse::snapshot;

namespace {

std::optional<ObjectKey> serviceOfSlice(const model::Resource& slice) {
  const auto* typed = slice.as<model::EndpointSlice>();
  if (!typed || typed->service_name.empty()) return std::nullopt;
  return ObjectKey{"Service", slice.key.ns, typed->service_name};
}

}  // namespace

void Backends::beginRun(const store::View& view) {
  view_ = &view;
  if (++run_ == 1) rebuildSliceIndex();
}

void Backends::rebuildSliceIndex() {
  slices_by_service_.clear();
  service_of_slice_.clear();
  for (const auto& slice : view_->ofKind("EndpointSlice")) {
    if (auto svc = serviceOfSlice(*slice)) {
      slices_by_service_[*svc].insert(slice->key);
      service_of_slice_.emplace(slice->key, *svc);
    }
  }
}

void Backends::updateSlice(const ObjectKey& key, std::set<ObjectKey>& affected) {
  if (auto old = service_of_slice_.find(key); old != service_of_slice_.end()) {
    affected.insert(old->second);
    auto& set = slices_by_service_[old->second];
    set.erase(key);
    if (set.empty()) slices_by_service_.erase(old->second);
    service_of_slice_.erase(old);
  }
  auto slice = view_->find(key);
  if (!slice) return;
  if (auto svc = serviceOfSlice(*slice)) {
    affected.insert(*svc);
    slices_by_service_[*svc].insert(key);
    service_of_slice_.emplace(key, *svc);
  }
}

std::vector<snap::Endpoint> Backends::endpointsOf(const ObjectKey& service, const model::ServicePort& port) const {
  std::vector<snap::Endpoint> out;
  auto found = slices_by_service_.find(service);
  if (found == slices_by_service_.end()) return out;
  for (const auto& key : found->second)
    if (auto slice = view_->find(key))
      if (const auto* typed = slice->as<model::EndpointSlice>()) appendSliceEndpoints(*typed, port, out);
  return out;
}

uint32_t Backends::acquire(const model::Resource& service, const model::ServicePort& port,
                           const snap::UpstreamTls* tls) {
  const std::string name = service.key.ns + "/" + service.key.name + ":" + std::to_string(port.port);
  uint32_t index;
  if (auto it = index_.find(name); it != index_.end()) {
    index = it->second;
  } else {
    if (free_slots_.empty()) {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_slots_.back();
      free_slots_.pop_back();
    }
    index_.emplace(name, index);
    slots_[index].service = service.key;
    slots_[index].port = port.port;
    by_service_[service.key].insert(index);
  }
  // First use in this run: the Service or its slices may have changed since.
  if (slots_[index].refreshed != run_) {
    snap::UpstreamProtocol protocol = snap::UpstreamProtocol::Http1;
    if (port.app_protocol == "kubernetes.io/h2c") protocol = snap::UpstreamProtocol::H2c;
    else if (port.app_protocol == "kubernetes.io/ws") protocol = snap::UpstreamProtocol::WebSocket;
    snap::Cluster fresh{name, protocol, endpointsOf(service.key, port)};
    if (tls) fresh.tls = *tls;
    refreshSlot(index, std::move(fresh));
  }
  slots_[index].refs++;
  return index;
}

// The snapshot gets a new pointer only when the cluster differs, so unchanged clusters stay
// shared.
void Backends::refreshSlot(uint32_t index, snap::Cluster fresh) {
  Slot& slot = slots_[index];
  if (!slot.cluster || slot.cluster->protocol != fresh.protocol || slot.cluster->endpoints != fresh.endpoints ||
      slot.cluster->tls != fresh.tls) {
    slot.cluster = std::make_shared<const snap::Cluster>(std::move(fresh));
    table_.set(index, slot.cluster);
  }
  slot.refreshed = run_;
}

void Backends::refreshEndpoints(const ObjectKey& svc) {
  auto it = by_service_.find(svc);
  if (it == by_service_.end()) return;
  auto service = view_->find(svc);
  const auto* typed = service ? service->as<model::Service>() : nullptr;
  for (uint32_t index : it->second) {
    const Slot& slot = slots_[index];
    if (slot.refreshed == run_) continue;
    std::vector<snap::Endpoint> endpoints;
    if (typed)
      if (const auto* port = findServicePort(*typed, slot.port)) endpoints = endpointsOf(svc, *port);
    refreshSlot(index, snap::Cluster{slot.cluster->name, slot.cluster->protocol, std::move(endpoints), slot.cluster->tls});
  }
}

void Backends::release(uint32_t index) {
  Slot& slot = slots_[index];
  if (--slot.refs > 0) return;
  index_.erase(slot.cluster->name);
  if (auto it = by_service_.find(slot.service); it != by_service_.end()) {
    it->second.erase(index);
    if (it->second.empty()) by_service_.erase(it);
  }
  slot = Slot{};
  table_.set(index, nullptr);
  free_slots_.push_back(index);
}

}  // namespace gatehouse::translator
