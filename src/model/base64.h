#pragma once
// The one base64 decoder: Go's base64.StdEncoding as the API server uses it for []byte fields
// (Secret data, ConfigMap binaryData): padded, "\r" and "\n" ignored, anything else rejected.
#include <string>
#include <string_view>

#include "common/result.h"

namespace gatehouse::model {

// The decoded bytes, or Go's message for the first bad byte ("illegal base64 data at input
// byte N"; an incomplete last quantum is reported at its start, as Go does).
Result<std::string> base64Decode(std::string_view in);

}  // namespace gatehouse::model
