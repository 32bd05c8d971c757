#pragma once
// Pieces shared by the decoders of several kinds.
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/types/object.h"

namespace gatehouse::model::decoding {

std::string namespaceOf(const nlohmann::json& object);
std::map<std::string, std::string> labelsOf(const nlohmann::json& object);
LabelSelector labelSelector(const nlohmann::json& selector);
// `ns`: the referring object's namespace, used when the reference names none.
ParentRef parentRef(const nlohmann::json& ref, const std::string& ns);
BackendObjectRef backendObjectRef(const nlohmann::json& ref, const std::string& ns);
SecretObjectRef secretObjectRef(const nlohmann::json& ref, const std::string& ns);
ObjectRef objectRef(const nlohmann::json& ref, const std::string& ns);
std::vector<std::string> strings(const nlohmann::json& list);
// The string at `key`; nullopt when absent or not a string.
std::optional<std::string> optionalString(const nlohmann::json& j, const char* key);

}  // namespace gatehouse::model::decoding
