#pragma once
// A Kubernetes object as the store keeps it: identity, API-server-managed metadata, the
// manifest (defaults applied), packed, and for the kinds the translator reads, the typed form
// decoded once when the store took the object. The manifest serves /status and the admin API:
// readers that need it decode it with object() or spec() and keep the decoded copy while they
// read it (references into a temporary would dangle).
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "model/packed.h"
#include "model/types/object.h"

namespace gatehouse::model {

using Json = nlohmann::json;

struct ObjectKey {
  std::string kind;
  std::string ns;  // empty for cluster-scoped kinds
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
  std::string str() const { return kind + "/" + (ns.empty() ? "" : ns + "/") + name; }
};

struct Resource {
  ObjectKey key;
  std::string api_version;
  Packed manifest;  // the whole manifest; metadata.generation/creationTimestamp kept current
  size_t spec_hash = 0;  // of what counts as spec for generation
  int64_t generation = 1;
  std::string creation_timestamp;  // RFC 3339
  std::string source;              // file it came from, for messages
  uint64_t first_seen_order = 0;   // tie-break for equal creation timestamps
  std::shared_ptr<const TypedObject> typed;  // nullptr for kinds without a typed form

  // The typed form, or nullptr when the object is not a T.
  template <class T>
  const T* as() const {
    return dynamic_cast<const T*>(typed.get());
  }

  Json object() const { return manifest.unpack(); }
  Json spec() const;  // {} when the manifest has none
};

using ResourcePtr = std::shared_ptr<const Resource>;

bool isClusterScoped(const std::string& kind);

}  // namespace gatehouse::model
