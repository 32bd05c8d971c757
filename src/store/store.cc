#include "store/store.h"

#include <chrono>
#include <ctime>

#include "model/json_access.h"
#include "model/types/decode.h"
#include "model/validation.h"

namespace gatehouse::store {

using model::Json;
using model::ObjectKey;

std::string ConfigError::str() const {
  std::string out = source;
  if (!object.empty()) out += ": " + object;
  if (!field.empty()) out += ": " + field;
  return out + ": " + reason;
}

model::ResourcePtr View::find(const ObjectKey& key) const {
  auto it = objects.find(key);
  return it == objects.end() ? nullptr : it->second;
}

std::vector<model::ResourcePtr> View::ofKind(std::string_view kind) const {
  std::vector<model::ResourcePtr> out;
  auto it = objects.lower_bound(ObjectKey{std::string(kind), "", ""});
  for (; it != objects.end() && it->first.kind == kind; ++it) out.push_back(it->second);
  return out;
}

std::string nowRfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Store::Store(Clock clock, Generation generation)
    : clock_(clock ? std::move(clock) : Clock(nowRfc3339)), generation_(generation) {}

namespace {

// What counts as "spec" for generation: spec for API objects, everything but metadata and
// status for core objects without a spec (Secrets, ConfigMaps, EndpointSlices).
size_t generationHash(const Json& object) {
  if (auto spec = object.find("spec"); spec != object.end()) return model::Packed(*spec).hash();
  Json copy = object;
  copy.erase("metadata");
  copy.erase("status");
  return model::Packed(copy).hash();
}

}  // namespace

bool Store::upsert(const std::string& source, Json object, const ObjectKey& key, size_t spec_hash) {
  auto& meta = object["metadata"];
  if (!model::isClusterScoped(key.kind)) meta["namespace"] = key.ns;
  if (key.kind == "Namespace") meta["labels"]["kubernetes.io/metadata.name"] = key.name;
  object.erase("status");  // status is ours to write

  auto it = live_.objects.find(key);
  auto resource = std::make_shared<model::Resource>();
  resource->key = key;
  resource->api_version = model::str(object, "apiVersion");
  resource->source = source;
  resource->spec_hash = spec_hash;
  const model::Resource* old = it != live_.objects.end() ? it->second.get() : nullptr;
  if (old) {
    resource->generation = old->generation + (old->spec_hash != resource->spec_hash ? 1 : 0);
    resource->creation_timestamp = old->creation_timestamp;
    resource->first_seen_order = old->first_seen_order;
  } else {
    resource->creation_timestamp = clock_();
    resource->first_seen_order = ++order_;
  }
  if (auto given = meta.find("generation"); generation_ == Generation::FromServer && given != meta.end() && given->is_number_integer())
    resource->generation = given->get<int64_t>();
  if (auto ts = meta.find("creationTimestamp"); ts != meta.end() && ts->is_string() && !ts->get<std::string>().empty())
    resource->creation_timestamp = ts->get<std::string>();
  meta["generation"] = resource->generation;
  meta["creationTimestamp"] = resource->creation_timestamp;
  model::Packed manifest(object);
  resource->content_hash = manifest.hash();
  if (old && old->content_hash == resource->content_hash && old->source == source) return false;
  resource->typed = model::decodeTyped(key.kind, object);
  if (model::keepsManifest(resource->api_version, resource->typed != nullptr)) resource->manifest = std::move(manifest);
  live_.objects[key] = std::move(resource);
  changes_.insert(key);
  ++live_.revision;
  view_.reset();
  return true;
}

void Store::erase(const ObjectKey& key) {
  live_.objects.erase(key);
  changes_.insert(key);
  ++live_.revision;
  view_.reset();
}

PreparedUpdate Store::prepare(SourceUpdate update) {
  PreparedUpdate out;
  out.source = std::move(update.source);
  out.deletes = std::move(update.deletes);
  out.errors = std::move(update.errors);
  out.upserts.reserve(update.upserts.size());
  for (auto& [key, object] : update.upserts) {
    PreparedUpdate::Object& prepared = out.upserts.emplace_back();
    prepared.key = std::move(key);
    prepared.supported = model::isSupportedKind(prepared.key.kind);
    if (prepared.supported) {
      model::applyDefaults(prepared.key.kind, object);
      for (auto& fe : model::validate(prepared.key.kind, object)) prepared.field_errors.emplace_back(fe.field, fe.reason);
    }
    prepared.spec_hash = generationHash(object);
    prepared.object = std::move(object);
  }
  return out;
}

bool Store::apply(PreparedUpdate prepared) {
  const std::string& source = prepared.source;
  std::vector<ConfigError> errors = std::move(prepared.errors);
  for (auto& e : errors) e.source = source;
  bool changed = false;
  for (auto& doc : prepared.upserts) {
    const ObjectKey& key = doc.key;
    if (auto owner = live_.objects.find(key); owner != live_.objects.end() && owner->second->source != source) {
      errors.push_back({source, key.str(), "metadata.name", "already defined in " + owner->second->source});
      continue;
    }
    if (!doc.supported) {
      // Kinds we don't read (Deployments, kinds of later releases) are kept as they are and
      // reported once as not handled; they never make the source invalid.
      if (unhandled_kinds_.insert(key.kind).second) newly_unhandled_.push_back(key.kind);
      changed |= upsert(source, std::move(doc.object), key, doc.spec_hash);
      continue;
    }
    if (!doc.field_errors.empty()) {
      // Rejected as the API server would; the last valid version (if any) keeps serving.
      for (auto& [field, reason] : doc.field_errors) errors.push_back({source, key.str(), field, reason});
      continue;
    }
    changed |= upsert(source, std::move(doc.object), key, doc.spec_hash);
  }
  for (const auto& key : prepared.deletes) {
    auto it = live_.objects.find(key);
    if (it == live_.objects.end() || it->second->source != source) continue;
    erase(key);
    changed = true;
  }
  auto previous = errors_.find(source);
  if (previous == errors_.end() ? !errors.empty() : previous->second != errors) ++errors_revision_;
  if (errors.empty()) errors_.erase(source);
  else errors_[source] = std::move(errors);
  return changed;
}

std::vector<std::string> Store::takeNewlyUnhandledKinds() {
  std::vector<std::string> out;
  out.swap(newly_unhandled_);
  return out;
}

std::vector<ConfigError> Store::errors(const std::string& source) const {
  auto it = errors_.find(source);
  return it == errors_.end() ? std::vector<ConfigError>{} : it->second;
}

std::vector<ConfigError> Store::errors() const {
  std::vector<ConfigError> out;
  for (auto& [source, list] : errors_) out.insert(out.end(), list.begin(), list.end());
  return out;
}

std::shared_ptr<const View> Store::view() const {
  if (!view_) view_ = std::make_shared<const View>(live_);
  return view_;
}

std::set<ObjectKey> Store::takeChanges() {
  std::set<ObjectKey> out;
  out.swap(changes_);
  return out;
}

}  // namespace gatehouse::store
