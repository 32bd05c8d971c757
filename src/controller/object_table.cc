#include "controller/object_table.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>

namespace gatehouse::controller {

bool isGatewayApiKind(const std::string& kind) {
  static const std::set<std::string> kKinds = {"GatewayClass", "Gateway",   "ListenerSet", "HTTPRoute",
                                               "GRPCRoute",    "TLSRoute",  "TCPRoute",    "UDPRoute",
                                               "ReferenceGrant", "BackendTLSPolicy"};
  return kKinds.count(kind) > 0;
}

bool isGatehousePolicyKind(const std::string& kind) {
  return kind == "RateLimitPolicy" || kind == "FaultInjectionPolicy";
}

bool isTabledKind(const std::string& kind) {
  return isGatewayApiKind(kind) || isGatehousePolicyKind(kind) || kind == "GatehouseParameters";
}

size_t ObjectTable::shardOf(const model::ObjectKey& key) {
  const std::hash<std::string> hash;
  return (hash(key.name) * 31 + hash(key.ns) * 7 + hash(key.kind)) % kShards;
}

ObjectTable::Shard& ObjectTable::writable(const model::ObjectKey& key) {
  auto& shard = shards_[shardOf(key)];
  if (!shard) {
    shard = std::make_shared<Shard>();
  } else if (shard.use_count() > 1) {
    shard = std::make_shared<Shard>(*shard);  // a published copy still reads the old one
  } else {
    // The last reader let go of it: see its release before writing in place.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *shard;
}

void ObjectTable::eraseIfEmpty(Shard& shard, Shard::iterator it) {
  if (!it->second.object && !it->second.status) shard.erase(it);
}

const ObjectTable::Entry* ObjectTable::find(const model::ObjectKey& key) const {
  const auto& shard = shards_[shardOf(key)];
  if (!shard) return nullptr;
  auto it = shard->find(key);
  return it == shard->end() ? nullptr : &it->second;
}

void ObjectTable::setObject(const model::ObjectKey& key, model::ResourcePtr object) {
  if (!object && !find(key)) return;
  Shard& shard = writable(key);
  auto it = shard.try_emplace(key).first;
  it->second.object = std::move(object);
  eraseIfEmpty(shard, it);
}

void ObjectTable::setStatus(const model::ObjectKey& key, std::optional<model::Packed> status) {
  if (!status && !find(key)) return;
  Shard& shard = writable(key);
  auto it = shard.try_emplace(key).first;
  it->second.status = std::move(status);
  eraseIfEmpty(shard, it);
}

std::vector<std::pair<const model::ObjectKey*, const ObjectTable::Entry*>> ObjectTable::sorted() const {
  std::vector<std::pair<const model::ObjectKey*, const Entry*>> out;
  for (const auto& shard : shards_)
    if (shard)
      for (const auto& [key, entry] : *shard) out.emplace_back(&key, &entry);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return out;
}

}  // namespace gatehouse::controller
