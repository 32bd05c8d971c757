#pragma once
// What the API server holds, as far as the watches have told: per object its resourceVersion and
// status (a status write needs both: the version as precondition, and other controllers'
// entries to keep), and a hash of the rest, so that a change of status or bookkeeping alone
// (our own status writes, to begin with) does not reach the store and retranslate.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/resource.h"
#include "providers/kube/watched_kinds.h"
#include "store/store.h"

namespace gatehouse::providers::kube {

class ObjectCache {
 public:
  struct Entry {
    std::string resource_version;
    std::string uid, api_version;  // what an Event names the object by
    model::Json status;  // null when the object has none
    size_t content_hash = 0;
  };

  // Records the object as the server sent it: its key, and for the store (without status, unless
  // WatchedKind::keep_status, resourceVersion, managedFields and kubectl's last-applied
  // annotation) the object when anything else in it changed since last seen. Nullopt for an object without a name.
  struct Observation {
    model::ObjectKey key;
    std::optional<store::Upsert> changed;
  };
  std::optional<Observation> observe(const ServedKind& kind, model::Json object);
  // Records a status write's result: the new version and status, the rest unchanged.
  void observeStatus(const model::ObjectKey& key, const model::Json& object);
  bool forget(const model::ObjectKey& key);  // true when it was known
  const Entry* find(const model::ObjectKey& key) const;
  std::vector<model::ObjectKey> keysOfKind(const std::string& kind) const;

 private:
  std::map<model::ObjectKey, Entry> entries_;
};

// The source name a watched object's errors are reported under: "kube:Kind/ns/name".
std::string sourceOf(const model::ObjectKey& key);

}  // namespace gatehouse::providers::kube
