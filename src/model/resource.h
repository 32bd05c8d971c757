#pragma once
// A Kubernetes object as the store keeps it: identity, API-server-managed metadata, for the
// kinds the translator reads the typed form decoded once when the store took the object, and
// the manifest (defaults applied), packed. The manifest serves /status and the admin API, which
// show Gateway API objects only, so core kinds with a typed form (Service, EndpointSlice, Secret,
// Namespace: most objects of a large install) keep none. Readers that need it decode it with
// object() or spec() and keep the decoded copy while they read it (references into a temporary
// would dangle).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

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
  Packed manifest;  // metadata.generation/creationTimestamp kept current; empty, see above
  size_t content_hash = 0;  // of the whole packed manifest: an identical rewrite is no change
  size_t spec_hash = 0;     // of what counts as spec for generation
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

  Json object() const { return manifest.unpack(); }  // null when no manifest is kept
  Json spec() const;  // {} when the manifest has none
};

// Whether the store keeps the manifest of an object of this apiVersion, given whether it has a
// typed form: Gateway API objects and Gatehouse's policies always (the admin API lists them with
// their status), others only without one.
inline bool keepsManifest(std::string_view api_version, bool typed) {
  return !typed || api_version.starts_with("gateway.networking.k8s.io/") || api_version.starts_with("gatehouse.dev/");
}

using ResourcePtr = std::shared_ptr<const Resource>;

bool isClusterScoped(const std::string& kind);

}  // namespace gatehouse::model
