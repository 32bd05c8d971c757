#include "main/offline.h"

#include "providers/file/manifest_files.h"
#include "snapshot/dump.h"

namespace gatehouse::main {

using model::Json;

namespace {

const Json* conditionFalse(const Json& conditions, const char* type) {
  for (const auto& c : conditions)
    if (c.value("type", "") == type && c.value("status", "") == "False") return &c;
  return nullptr;
}

}  // namespace

OfflineResult translateFiles(const std::vector<providers::FileChange>& files, const translator::Options& options,
                             store::Store::Clock clock) {
  store::Store store(std::move(clock));
  providers::ManifestFiles manifests;
  for (const auto& f : files) store.apply(manifests.read(f.path, f.content));
  auto view = store.view();
  translator::Input input{view.get(), {}};
  auto out = translator::translate(options, input);
  OfflineResult result;
  for (const auto& e : store.errors()) {
    result.errors.push_back({{"file", e.source}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
    result.all_accepted = false;
  }
  for (const auto& [key, status] : out.statuses) {
    result.statuses[key.str()] = status;
    auto resource = view->find(key);
    const std::string file = resource ? resource->source : "";
    // Records each False condition of `types` under `field` as a problem naming the file.
    auto check = [&](const Json& holder, const std::string& field, std::initializer_list<const char*> types) {
      const Json conditions = holder.value("conditions", Json::array());
      for (const char* type : types) {
        const Json* c = conditionFalse(conditions, type);
        if (!c) continue;
        result.all_accepted = false;
        result.problems.push_back({{"file", file},
                                   {"object", key.str()},
                                   {"field", field},
                                   {"reason", std::string(type) + " False " + c->value("reason", "") + ": " +
                                                  c->value("message", "")}});
      }
    };
    check(status, "status", {"Accepted"});
    const Json listeners = status.value("listeners", Json::array());
    for (size_t i = 0; i < listeners.size(); ++i)
      check(listeners[i], "status.listeners[" + std::to_string(i) + "] (" + listeners[i].value("name", "") + ")",
            {"Accepted", "ResolvedRefs"});
    const Json parents = status.value("parents", Json::array());
    for (size_t i = 0; i < parents.size(); ++i)
      check(parents[i], "status.parents[" + std::to_string(i) + "]", {"Accepted", "ResolvedRefs"});
    const Json ancestors = status.value("ancestors", Json::array());  // policies
    for (size_t i = 0; i < ancestors.size(); ++i)
      check(ancestors[i], "status.ancestors[" + std::to_string(i) + "]", {"Accepted", "ResolvedRefs"});
  }
  result.snapshot = snapshot::toJson(*out.snapshot);
  result.compiled = out.snapshot;
  return result;
}

}  // namespace gatehouse::main
