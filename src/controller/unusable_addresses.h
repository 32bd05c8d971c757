#pragma once
// Addresses the data plane could not bind, shown in the status of the Gateways on them. The
// translator reports a Gateway Programmed once its listeners compile; when the data plane then
// fails to bind the Gateway's address, this turns that status into Programmed=False, reason
// AddressNotUsable, no addresses: what the translator's precedence gives for an unusable
// address (Invalid and AddressNotAssigned come first and are already False). A bind failure so
// costs a status patch, not a second translation.
#include <map>
#include <optional>
#include <string>

#include "model/resource.h"

namespace gatehouse::controller {

class UnusableAddresses {
 public:
  using Statuses = std::map<model::ObjectKey, std::optional<model::Packed>>;

  bool any() const { return !unusable_.empty(); }
  // Records the Gateway statuses in `changed` as translated and patches them for `unusable`
  // (address -> reason). When `unusable` differs from the last call, also adds to `changed`
  // every other Gateway whose status that changes.
  void apply(Statuses& changed, std::map<std::string, std::string> unusable);

 private:
  std::map<model::ObjectKey, model::Packed> translated_;  // Gateway statuses, unpatched
  std::map<std::string, std::string> unusable_;
};

}  // namespace gatehouse::controller
