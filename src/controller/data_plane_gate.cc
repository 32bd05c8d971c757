#include "controller/data_plane_gate.h"

#include "translator/conditions.h"

namespace gatehouse::controller {

using model::Json;
using model::Packed;
namespace condition = translator::condition;

// GatewayConditionReason "Pending" of the spec (Programmed=False while the data plane is not yet
// programmed); only this gate uses it, so it is not among translator/conditions.h's reasons.
constexpr const char* kPending = "Pending";

Packed DataPlaneGate::patched(const model::ObjectKey& key, const Packed& status) const {
  if (live_.count(key.ns + "/" + key.name)) return status;
  Json json = status.unpack();
  bool changed = false;
  for (auto& c : json["conditions"]) {
    if (c.value("type", "") != condition::kProgrammed || c.value("status", "") != "True") continue;
    c["status"] = "False";
    c["reason"] = kPending;
    c["message"] = "Waiting for the Gateway's data plane to apply its config";
    changed = true;
  }
  return changed ? Packed(json) : status;
}

void DataPlaneGate::apply(Statuses& changed) {
  if (!enabled_) return;
  for (auto& [key, status] : changed) {
    if (key.kind != "Gateway") continue;
    if (!status) {
      unpatched_.erase(key);
      continue;
    }
    unpatched_[key] = *status;
    status = patched(key, *status);
  }
}

void DataPlaneGate::setLive(Statuses& changed, std::set<std::string> live) {
  if (!enabled_ || live == live_) return;
  std::map<model::ObjectKey, Packed> before;
  for (const auto& [key, status] : unpatched_) before.emplace(key, patched(key, status));
  live_ = std::move(live);
  for (const auto& [key, status] : unpatched_) {
    Packed after = patched(key, status);
    if (!(after == before.at(key))) changed[key] = std::move(after);
  }
}

}  // namespace gatehouse::controller
