#pragma once
// The one Gateway API duration parser (GEP-2257): one to four "<1-5 digits><h|m|s|ms>" parts,
// e.g. "1h", "2m30s", "500ms"; the schema's pattern ^([0-9]{1,5}(h|m|s|ms)){1,4}$.
#include <cstdint>
#include <optional>
#include <string_view>

namespace gatehouse::model {

// Milliseconds, or nullopt when `s` is not such a duration.
std::optional<uint64_t> parseDurationMs(std::string_view s);

}  // namespace gatehouse::model
