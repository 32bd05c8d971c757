#pragma once
// Block-style YAML from JSON. Object keys come out in the order the Json holds them (sorted).
// Scalars are written as JSON, which YAML reads the same (strings double-quoted); with
// kPlainStrings, keys and strings that YAML reads back as the same string go unquoted, for
// manifests people edit.
#include <string>

#include "model/resource.h"

namespace gatehouse::model {

enum class YamlStrings { kQuoted, kPlainStrings };

std::string toYaml(const Json& value, YamlStrings strings = YamlStrings::kQuoted);

}  // namespace gatehouse::model
