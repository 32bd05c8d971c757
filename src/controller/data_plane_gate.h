#pragma once
// In the topology with separate data planes (`serve --kubernetes --provision`), a Gateway is
// Programmed only once its data plane acknowledged its current config over the config stream.
// The translator reports Programmed=True when the listeners compile; until the Gateway is live,
// this turns that into Programmed=False, reason Pending. As UnusableAddresses does for bind
// failures, a change of the live set costs a status patch, not a translation.
#include <map>
#include <optional>
#include <set>
#include <string>

#include "model/resource.h"

namespace gatehouse::controller {

class DataPlaneGate {
 public:
  using Statuses = std::map<model::ObjectKey, std::optional<model::Packed>>;

  explicit DataPlaneGate(bool enabled) : enabled_(enabled) {}

  // Records the Gateway statuses in `changed` as they are so far and patches those of Gateways
  // not live.
  void apply(Statuses& changed);
  // The Gateways ("ns/name") now live: adds to `changed` every Gateway whose status that changes.
  void setLive(Statuses& changed, std::set<std::string> live);

 private:
  model::Packed patched(const model::ObjectKey& key, const model::Packed& status) const;

  bool enabled_;
  std::map<model::ObjectKey, model::Packed> unpatched_;  // Gateway statuses
  std::set<std::string> live_;
};

}  // namespace gatehouse::controller
