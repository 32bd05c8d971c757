#pragma once
// What a status write sends: this controller's status merged into the one the server holds.
// Pure functions, so the rules are tested without a server.
#include <string>

#include "model/resource.h"

namespace gatehouse::providers::kube {

// The status to hold after our write. Route and policy statuses are shared: the entries of
// status.parents (routes) and status.ancestors (policies) written by other controllers stay as
// read, ours replace our earlier ones (the lists are atomic, so they go whole). Every other status
// is ours alone. A condition whose status did not change keeps the server's lastTransitionTime,
// so a restart or a new leader does not rewrite statuses that are already right.
model::Json mergeStatus(const model::Json& ours, const model::Json& live, const std::string& controller_name);

// The merge patch turning the `live` status into `desired`, conditional on `resource_version`
// (a stale version gets 409 Conflict rather than overwriting a newer status).
model::Json statusPatch(const model::Json& desired, const model::Json& live, const std::string& resource_version);

}  // namespace gatehouse::providers::kube
