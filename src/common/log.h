#pragma once
#include <spdlog/spdlog.h>

namespace gatehouse::log {
// One stderr logger, UTC RFC 3339 timestamps (what log shippers parse without configuration).
void init(spdlog::level::level_enum level);
}  // namespace gatehouse::log
