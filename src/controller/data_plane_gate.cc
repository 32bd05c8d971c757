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
  const std::string gateway = key.ns + "/" + key.name;
  Json json = status.unpack();
  // No address for a Gateway the translator gave none (not accepted).
  auto addresses = json.find("addresses");
  const bool addressed = addresses != json.end() && addresses->is_array() && !addresses->empty();
  if (addressed) {
    auto found = addresses_.find(gateway);
    *addresses = found != addresses_.end() ? found->second : Json::array();
  }
  const bool has_address = addressed && !addresses->empty();
  const bool live = live_.count(gateway) > 0;
  for (auto& c : json["conditions"]) {
    if (c.value("type", "") != condition::kProgrammed || c.value("status", "") != "True") continue;
    if (!live) {
      c["status"] = "False";
      c["reason"] = kPending;
      c["message"] = "Waiting for the Gateway's data plane to apply its config";
    } else if (!has_address) {
      c["status"] = "False";
      c["reason"] = translator::reason::kAddressNotAssigned;
      c["message"] = "Waiting for the data plane's Service to have an address";
    }
  }
  return Packed(json);
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

void DataPlaneGate::repatch(Statuses& changed, const std::function<void()>& change) {
  std::map<model::ObjectKey, Packed> before;
  for (const auto& [key, status] : unpatched_) before.emplace(key, patched(key, status));
  change();
  for (const auto& [key, status] : unpatched_) {
    Packed after = patched(key, status);
    if (!(after == before.at(key))) changed[key] = std::move(after);
  }
}

void DataPlaneGate::setLive(Statuses& changed, std::set<std::string> live) {
  if (!enabled_ || live == live_) return;
  repatch(changed, [&] { live_ = std::move(live); });
}

void DataPlaneGate::setAddresses(Statuses& changed, std::map<std::string, Json> addresses) {
  if (!enabled_ || addresses == addresses_) return;
  repatch(changed, [&] { addresses_ = std::move(addresses); });
}

}  // namespace gatehouse::controller
