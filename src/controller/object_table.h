#pragma once
// Every object the admin API lists (the Gateway API kinds) or the provisioner reads
// (isTabledKind) and every published status, in one
// table the control thread updates after each data plane apply. share() hands readers an
// immutable copy in O(shards): the table is 256 copy-on-write shards, so the next change copies
// only the shards it touches (a few entries each), and the steady state holds one table.
#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <memory>
#include <utility>
#include <vector>

#include "model/resource.h"

namespace gatehouse::controller {

// The Gateway API kinds: the objects the admin API lists with their status.
bool isGatewayApiKind(const std::string& kind);
// Gatehouse's policy kinds (gatehouse.dev): listed with their status like the Gateway API kinds.
bool isGatehousePolicyKind(const std::string& kind);
// The kinds whose objects the table holds: the Gateway API kinds, Gatehouse's policies, and
// GatehouseParameters (the provisioner reads them: what a Gateway's data plane is rendered with).
bool isTabledKind(const std::string& kind);

class ObjectTable {
 public:
  struct Entry {
    model::ResourcePtr object;  // isTabledKind only
    std::optional<model::Packed> status;
  };

  const Entry* find(const model::ObjectKey& key) const;
  // Null removes the object; the entry goes when it has neither object nor status.
  void setObject(const model::ObjectKey& key, model::ResourcePtr object);
  void setStatus(const model::ObjectKey& key, std::optional<model::Packed> status);
  // Every entry, in key order (the order of the store's index).
  std::vector<std::pair<const model::ObjectKey*, const Entry*>> sorted() const;
  // An immutable copy; shares every shard until this table changes one.
  std::shared_ptr<const ObjectTable> share() const { return std::make_shared<const ObjectTable>(*this); }

 private:
  using Shard = std::map<model::ObjectKey, Entry>;
  static constexpr size_t kShards = 256;
  static size_t shardOf(const model::ObjectKey& key);
  Shard& writable(const model::ObjectKey& key);
  void eraseIfEmpty(Shard& shard, Shard::iterator it);

  std::array<std::shared_ptr<Shard>, kShards> shards_;
};

}  // namespace gatehouse::controller
