#include "providers/kube/status_merge.h"

namespace gatehouse::providers::kube {

using model::Json;

namespace {

const char* const kSharedLists[] = {"parents", "ancestors"};

// What identifies an element of a status list across writes.
std::string identity(const Json& element) {
  if (!element.is_object()) return element.dump();
  if (auto ref = element.find("parentRef"); ref != element.end()) return "p" + ref->dump() + element.value("controllerName", "");
  if (auto ref = element.find("ancestorRef"); ref != element.end()) return "a" + ref->dump() + element.value("controllerName", "");
  if (auto type = element.find("type"); type != element.end() && type->is_string()) return "t" + type->get<std::string>();
  if (auto name = element.find("name"); name != element.end() && name->is_string()) return "n" + name->get<std::string>();
  return element.dump();
}

void carryTransitionTimes(Json& ours, const Json& live) {
  if (ours.is_object() && live.is_object()) {
    if (ours.contains("type") && ours.contains("lastTransitionTime") && live.contains("lastTransitionTime") &&
        ours.value("type", Json()) == live.value("type", Json()) && ours.value("status", Json()) == live.value("status", Json()))
      ours["lastTransitionTime"] = live["lastTransitionTime"];
    for (auto& [key, value] : ours.items())
      if (auto it = live.find(key); it != live.end()) carryTransitionTimes(value, *it);
  } else if (ours.is_array() && live.is_array()) {
    for (auto& element : ours) {
      const std::string id = identity(element);
      for (const auto& candidate : live)
        if (identity(candidate) == id) {
          carryTransitionTimes(element, candidate);
          break;
        }
    }
  }
}

}  // namespace

Json mergeStatus(const Json& ours, const Json& live, const std::string& controller_name) {
  Json merged = ours.is_object() ? ours : Json::object();
  const Json live_object = live.is_object() ? live : Json::object();
  for (const char* list : kSharedLists) {
    auto mine = merged.find(list);
    auto theirs = live_object.find(list);
    if (mine == merged.end() && theirs == live_object.end()) continue;
    Json out = Json::array();
    if (theirs != live_object.end() && theirs->is_array())
      for (const auto& entry : *theirs)
        if (!entry.is_object() || entry.value("controllerName", "") != controller_name) out.push_back(entry);
    if (mine != merged.end() && mine->is_array())
      for (const auto& entry : *mine) out.push_back(entry);
    // No entry of ours now and none before: the object is not ours to write.
    if (out.empty() && theirs == live_object.end()) {
      merged.erase(list);
      continue;
    }
    merged[list] = std::move(out);
  }
  carryTransitionTimes(merged, live_object);
  return merged;
}

Json statusPatch(const Json& desired, const Json& live, const std::string& resource_version) {
  Json status = desired;
  if (live.is_object())
    for (const auto& [key, value] : live.items())
      if (!status.contains(key)) status[key] = nullptr;  // merge patch: null removes
  Json patch = {{"metadata", {{"resourceVersion", resource_version}}}, {"status", std::move(status)}};
  return patch;
}

}  // namespace gatehouse::providers::kube
