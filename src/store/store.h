#pragma once
// The object store emulates the API server for standalone mode: CRD defaults and validation,
// metadata.generation bumped on spec change only, creationTimestamp kept from first sight, and
// the kubernetes.io/metadata.name label on Namespaces. An invalid object is rejected with an
// error naming file, object, field and reason, and its last valid version keeps serving.
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
  std::string file;
  std::string object;  // "Kind/namespace/name", empty when the file itself is unreadable
  std::string field;
  std::string reason;
  std::string str() const;
};

// An immutable view of every object at one revision; the translator reads only this.
struct View {
  uint64_t revision = 0;
  std::map<model::ObjectKey, model::ResourcePtr> objects;

  model::ResourcePtr find(const model::ObjectKey& key) const;
  // Objects of one kind, in key order.
  std::vector<model::ResourcePtr> ofKind(std::string_view kind) const;
};

// A file decoded, defaulted and validated: the part of applying a file that depends on nothing
// but its content, so a batch can be prepared on several threads and applied in order.
struct PreparedFile {
  struct Doc {
    model::Json object;
    std::optional<model::ObjectKey> key;
    std::string key_error;  // when there is no key
    bool supported = false;
    std::vector<std::pair<std::string, std::string>> field_errors;  // field, reason
    size_t spec_hash = 0;
  };
  std::string path;
  std::string error;  // the file is unreadable: no docs
  std::vector<Doc> docs;
};

class Store {
 public:
  using Clock = std::function<std::string()>;  // RFC 3339 "now", replaceable in tests
  explicit Store(Clock clock = {});

  // Replaces the objects that came from `file` with those decoded from `text`. Returns true if
  // anything changed. Errors of that file replace its previous errors.
  bool applyFile(const std::string& file, std::string_view text);
  static PreparedFile prepare(const std::string& file, std::string_view text);  // thread-safe
  bool apply(PreparedFile prepared);  // applyFile = apply(prepare(...))
  // Deletes the objects that came from `file`.
  bool removeFile(const std::string& file);

  std::vector<ConfigError> errors() const;
  std::vector<ConfigError> errors(const std::string& file) const;
  // Kinds seen for the first time since the last call that the store keeps but nothing reads.
  std::vector<std::string> takeNewlyUnhandledKinds();
  // The objects as of now, shared with the store: valid until the next change.
  const View& live() const { return live_; }
  // An immutable copy of live(); built on first use after a change, so a batch of files costs
  // one copy of the index, not one per file.
  std::shared_ptr<const View> view() const;
  // Keys of the objects added, changed or deleted since the last call.
  std::set<model::ObjectKey> takeChanges();

 private:
  bool upsert(const std::string& file, model::Json object, const model::ObjectKey& key, size_t spec_hash);
  void erase(const model::ObjectKey& key);

  Clock clock_;
  uint64_t order_ = 0;
  View live_;
  std::set<model::ObjectKey> changes_;
  std::map<std::string, std::set<model::ObjectKey>> by_file_;
  std::map<std::string, std::vector<ConfigError>> errors_;
  std::set<std::string> unhandled_kinds_;
  std::vector<std::string> newly_unhandled_;
  mutable std::shared_ptr<const View> view_;  // copy of live_ while unchanged
};

std::string nowRfc3339();

}  // namespace gatehouse::store
