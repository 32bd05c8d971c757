#include "snapshot/snapshot.h"

#include <arpa/inet.h>

#include <algorithm>

namespace gatehouse::snapshot {

Endpoint::Endpoint(std::string ip_text, uint16_t port_number) : ip(std::move(ip_text)), port(port_number) {
  if (::inet_pton(AF_INET, ip.c_str(), address.data()) == 1) {
    family = Family::V4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), address.data()) == 1) {
    family = Family::V6;
  } else {
    address = {};
  }
}

void HostTable::setExact(const std::string& host, RouteTablePtr table) {
  if (shards_.empty()) {
    if (!table) return;
    shards_.resize(kShards);
  }
  auto& slot = shards_[StringHash{}(host) % kShards];
  if (!slot) {
    if (!table) return;
    slot = std::make_shared<Shard>();
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<Shard>(*slot);  // copy on write: snapshots in use keep the old one
  }
  if (table) (*slot)[host] = std::move(table);
  else slot->erase(host);
  if (slot->empty()) slot.reset();
}

void ClusterTable::set(uint32_t index, ClusterPtr cluster) {
  const size_t c = index / kChunk;
  if (c >= chunks_.size()) chunks_.resize(c + 1);
  auto& chunk = chunks_[c];
  if (!chunk) chunk = std::make_shared<Chunk>();
  else if (chunk.use_count() > 1) chunk = std::make_shared<Chunk>(*chunk);  // a snapshot in use keeps the old one
  (*chunk)[index % kChunk] = std::move(cluster);
  size_ = std::max(size_, static_cast<size_t>(index) + 1);
}

const RouteTable* HostTable::exact(std::string_view host) const {
  if (shards_.empty()) return nullptr;
  const auto& shard = shards_[StringHash{}(host) % kShards];
  if (!shard) return nullptr;
  auto it = shard->find(host);
  return it == shard->end() ? nullptr : it->second.get();
}

size_t HostTable::exactCount() const {
  size_t n = 0;
  for (const auto& shard : shards_)
    if (shard) n += shard->size();
  return n;
}

}  // namespace gatehouse::snapshot
