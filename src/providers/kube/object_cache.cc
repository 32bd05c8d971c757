#include "providers/kube/object_cache.h"

#include <functional>

namespace gatehouse::providers::kube {

using model::Json;
using model::ObjectKey;

namespace {

std::string metaString(const Json& object, const char* field) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string sourceOf(const ObjectKey& key) { return "kube:" + key.str(); }

std::optional<ObjectCache::Observation> ObjectCache::observe(const ServedKind& kind, Json object) {
  if (!object.is_object()) return std::nullopt;
  // List items may come without their kind and apiVersion; watch events carry them.
  object["kind"] = kind.kind->kind;
  if (!object.contains("apiVersion")) object["apiVersion"] = kind.apiVersion();
  ObjectKey key{kind.kind->kind, kind.kind->namespaced ? metaString(object, "namespace") : "", metaString(object, "name")};
  if (key.name.empty()) return std::nullopt;

  Entry& entry = entries_[key];
  entry.resource_version = metaString(object, "resourceVersion");
  entry.uid = metaString(object, "uid");
  entry.api_version = object["apiVersion"].is_string() ? object["apiVersion"].get<std::string>() : kind.apiVersion();
  auto status = object.find("status");
  if (status == object.end()) {
    entry.status = Json();
  } else if (kind.kind->keep_status) {
    entry.status = *status;
  } else {
    entry.status = std::move(*status);
    object.erase(status);
  }
  auto& meta = object["metadata"];
  meta.erase("resourceVersion");
  meta.erase("managedFields");
  if (auto annotations = meta.find("annotations"); annotations != meta.end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
    if (annotations->empty()) meta.erase("annotations");
  }
  const size_t hash = std::hash<std::string>{}(object.dump());
  if (hash == entry.content_hash) return Observation{std::move(key), std::nullopt};
  entry.content_hash = hash;
  return Observation{key, store::Upsert{key, std::move(object)}};
}

void ObjectCache::observeStatus(const ObjectKey& key, const Json& object) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !object.is_object()) return;
  it->second.resource_version = metaString(object, "resourceVersion");
  auto status = object.find("status");
  it->second.status = status != object.end() ? *status : Json();
}

bool ObjectCache::forget(const ObjectKey& key) { return entries_.erase(key) > 0; }

const ObjectCache::Entry* ObjectCache::find(const ObjectKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<ObjectKey> ObjectCache::keysOfKind(const std::string& kind) const {
  std::vector<ObjectKey> out;
  for (auto it = entries_.lower_bound(ObjectKey{kind, "", ""}); it != entries_.end() && it->first.kind == kind; ++it)
    out.push_back(it->first);
  return out;
}

}  // namespace gatehouse::providers::kube
