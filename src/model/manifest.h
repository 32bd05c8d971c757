#pragma once
// Decoding manifest files: multi-document YAML or JSON, Kubernetes `List` objects flattened.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/resource.h"

namespace gatehouse::model {

// YAML 1.2 core-schema scalars: plain `true`/`false`/`null`/`~`/integers/floats become JSON
// values; quoted scalars stay strings (as the API server's YAML decoder does).
Result<std::vector<Json>> decodeManifests(std::string_view text);

// Identity of a decoded document, or an error naming what is missing.
Result<ObjectKey> objectKeyOf(const Json& object);

}  // namespace gatehouse::model
