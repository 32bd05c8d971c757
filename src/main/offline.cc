#include "main/offline.h"

#include "snapshot/dump.h"

namespace gatehouse::main {

using model::Json;

namespace {

bool conditionFalse(const Json& conditions, const char* type) {
  for (const auto& c : conditions)
    if (c.value("type", "") == type && c.value("status", "") == "False") return true;
  return false;
}

}  // namespace

OfflineResult translateFiles(const std::vector<providers::FileChange>& files, const translator::Options& options,
                             store::Store::Clock clock) {
  store::Store store(std::move(clock));
  for (const auto& f : files) store.applyFile(f.path, f.content);
  auto view = store.view();
  translator::Input input{view.get(), {}, {}};
  auto out = translator::translate(options, input);
  OfflineResult result;
  for (const auto& e : store.errors()) {
    result.errors.push_back({{"file", e.file}, {"object", e.object}, {"field", e.field}, {"reason", e.reason}});
    result.all_accepted = false;
  }
  for (const auto& [key, status] : out.statuses) {
    result.statuses[key.str()] = status;
    if (conditionFalse(status.value("conditions", Json::array()), "Accepted")) result.all_accepted = false;
    for (const auto& l : status.value("listeners", Json::array()))
      if (conditionFalse(l.value("conditions", Json::array()), "Accepted") ||
          conditionFalse(l.value("conditions", Json::array()), "ResolvedRefs"))
        result.all_accepted = false;
    for (const auto& p : status.value("parents", Json::array()))
      if (conditionFalse(p.value("conditions", Json::array()), "Accepted") ||
          conditionFalse(p.value("conditions", Json::array()), "ResolvedRefs"))
        result.all_accepted = false;
  }
  result.snapshot = snapshot::toJson(*out.snapshot);
  return result;
}

}  // namespace gatehouse::main
