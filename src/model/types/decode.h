#pragma once
// Decoding a validated, defaulted manifest into its typed form, once, when the store takes it.
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model {

// nullptr for kinds without a typed form (the translator does not read them).
std::shared_ptr<const TypedObject> decodeTyped(std::string_view kind, const nlohmann::json& object);

}  // namespace gatehouse::model
