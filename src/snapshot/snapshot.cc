#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {

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
