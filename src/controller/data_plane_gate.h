#pragma once
// In the topology with separate data planes (`serve --kubernetes --provision`), a Gateway's
// status tells of its data plane, not of the controller: it is Programmed only once its data
// plane acknowledged its current config over the config stream, and its addresses are those of
// its data-plane Service. The translator reports Programmed=True when the listeners compile and
// an address of its pool; this turns that into Programmed=False, reason Pending, until the
// Gateway is live, and into AddressNotAssigned while its Service has no address, and puts the
// Service's addresses in place of the pool's. As UnusableAddresses does for bind failures, a
// change of the live set or of an address costs a status patch, not a translation.
#include <functional>
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

  // Records the Gateway statuses in `changed` as they are so far and patches them.
  void apply(Statuses& changed);
  // The Gateways ("ns/name") now live: adds to `changed` every Gateway whose status that changes.
  void setLive(Statuses& changed, std::set<std::string> live);
  // The addresses of each Gateway's data-plane Service ("ns/name" -> status.addresses entries):
  // adds to `changed` every Gateway whose status that changes.
  void setAddresses(Statuses& changed, std::map<std::string, model::Json> addresses);

 private:
  model::Packed patched(const model::ObjectKey& key, const model::Packed& status) const;
  // Adds to `changed` the Gateways whose patched status differs after `change`.
  void repatch(Statuses& changed, const std::function<void()>& change);

  bool enabled_;
  std::map<model::ObjectKey, model::Packed> unpatched_;  // Gateway statuses
  std::set<std::string> live_;
  std::map<std::string, model::Json> addresses_;
};

}  // namespace gatehouse::controller
