#pragma once
// A readable JSON dump of a snapshot: the admin API's /config and the translator goldens.
// PEM keys are never dumped; certificates appear by subject only.
#include <nlohmann/json.hpp>

#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {

nlohmann::json toJson(const Snapshot& snapshot);

}  // namespace gatehouse::snapshot
