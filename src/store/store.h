#pragma once
// The object store emulates the API server for standalone mode: CRD defaults and validation,
// metadata.generation bumped on spec change only, creationTimestamp kept from first sight, and
// the kubernetes.io/metadata.name label on Namespaces. Providers hand it object upserts and
// deletes grouped by source (a file; later one watched object); an invalid object is rejected
// with an error naming source, object, field and reason, and its last valid version keeps
// serving. The store knows nothing of files.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/resource.h"

namespace gatehouse::store {

struct ConfigError {
  std::string source;  // where the object came from: "dir/a.yaml", later "kube:ns/name"
  std::string object;  // "Kind/namespace/name", empty when the source itself is unreadable
  std::string field;
  std::string reason;
  std::string str() const;
  bool operator==(const ConfigError&) const = default;
};

// An immutable view of every object at one revision; the translator reads only this.
struct View {
  uint64_t revision = 0;
  std::map<model::ObjectKey, model::ResourcePtr> objects;

  model::ResourcePtr find(const model::ObjectKey& key) const;
  // Objects of one kind, in key order.
  std::vector<model::ResourcePtr> ofKind(std::string_view kind) const;
};

// An object as a provider now sees it.
struct Upsert {
  model::ObjectKey key;
  model::Json object;  // the whole manifest
};

// What a provider learned about one source in one go: the objects it defines now and those it
// no longer defines. The errors of the source are replaced by this update's: those the provider
// found (an unreadable file keeps its objects and says why) and the store's own.
struct SourceUpdate {
  std::string source;
  std::vector<Upsert> upserts;
  std::vector<model::ObjectKey> deletes;
  std::vector<ConfigError> errors;  // `source` may be left empty: it is the update's
};

// An update defaulted and validated: the part of applying it that depends on nothing but its
// content, so a batch can be prepared on several threads and applied in order.
struct PreparedUpdate {
  struct Object {
    model::ObjectKey key;
    model::Json object;
    bool supported = false;
    std::vector<std::pair<std::string, std::string>> field_errors;  // field, reason
    size_t spec_hash = 0;
  };
  std::string source;
  std::vector<Object> upserts;
  std::vector<model::ObjectKey> deletes;
  std::vector<ConfigError> errors;
};

// Who keeps metadata.generation: the store, counting spec changes (standalone), or the API
// server that the objects come from (Kubernetes mode), whose count status must echo in
// observedGeneration.
enum class Generation { Counted, FromServer };

class Store {
 public:
  using Clock = std::function<std::string()>;  // RFC 3339 "now", replaceable in tests
  explicit Store(Clock clock = {}, Generation generation = Generation::Counted);

  static PreparedUpdate prepare(SourceUpdate update);  // thread-safe
  // Applies a prepared update; returns true if any object changed. An upsert of an object that
  // another source defines is refused; a delete of such an object is ignored.
  bool apply(PreparedUpdate prepared);
  bool apply(SourceUpdate update) { return apply(prepare(std::move(update))); }

  std::vector<ConfigError> errors() const;
  std::vector<ConfigError> errors(const std::string& source) const;
  // Bumped whenever any source's errors change: tells whether errors() must be published again.
  uint64_t errorsRevision() const { return errors_revision_; }
  // Kinds seen for the first time since the last call that the store keeps but nothing reads.
  std::vector<std::string> takeNewlyUnhandledKinds();
  // The objects as of now, shared with the store: valid until the next change.
  const View& live() const { return live_; }
  // An immutable copy of live(); built on first use after a change, so a batch of updates costs
  // one copy of the index, not one per update.
  std::shared_ptr<const View> view() const;
  // Keys of the objects added, changed or deleted since the last call.
  std::set<model::ObjectKey> takeChanges();

 private:
  bool upsert(const std::string& source, model::Json object, const model::ObjectKey& key, size_t spec_hash);
  void erase(const model::ObjectKey& key);

  Clock clock_;
  Generation generation_;
  uint64_t order_ = 0;
  View live_;
  std::set<model::ObjectKey> changes_;
  std::map<std::string, std::vector<ConfigError>> errors_;  // by source
  uint64_t errors_revision_ = 0;
  std::set<std::string> unhandled_kinds_;
  std::vector<std::string> newly_unhandled_;
  mutable std::shared_ptr<const View> view_;  // copy of live_ while unchanged
};

std::string nowRfc3339();

}  // namespace gatehouse::store
