#include "controller/unusable_addresses.h"

#include "translator/conditions.h"

namespace gatehouse::controller {

using model::Json;
using model::Packed;
namespace condition = translator::condition;
namespace reason = translator::reason;

namespace {

// The address a translated Gateway status is Programmed on; empty when it is not Programmed.
std::string programmedAddress(const Json& status) {
  for (const auto& c : status.value("conditions", Json::array()))
    if (c.value("type", "") == condition::kProgrammed && c.value("status", "") != "True") return "";
  const Json addresses = status.value("addresses", Json::array());
  return addresses.empty() ? "" : addresses[0].value("value", "");
}

Packed patched(const Packed& translated, const std::map<std::string, std::string>& unusable) {
  if (unusable.empty()) return translated;
  Json status = translated.unpack();
  auto reason = unusable.find(programmedAddress(status));
  if (reason == unusable.end()) return translated;
  for (auto& c : status["conditions"]) {
    if (c.value("type", "") != condition::kProgrammed) continue;
    c["status"] = "False";
    c["reason"] = reason::kAddressNotUsable;
    c["message"] = reason->second;
  }
  status["addresses"] = Json::array();
  return Packed(status);
}

}  // namespace

void UnusableAddresses::apply(Statuses& changed, std::map<std::string, std::string> unusable) {
  for (auto& [key, status] : changed) {
    if (key.kind != "Gateway") continue;
    if (!status) {
      translated_.erase(key);
      continue;
    }
    translated_[key] = *status;
    status = patched(*status, unusable);
  }
  if (unusable == unusable_) return;
  for (const auto& [key, translated] : translated_) {
    if (changed.count(key)) continue;
    Packed after = patched(translated, unusable);
    if (!(after == patched(translated, unusable_))) changed[key] = std::move(after);
  }
  unusable_ = std::move(unusable);
}

}  // namespace gatehouse::controller
