#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace gatehouse::log {

void init(spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("gatehouse");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace gatehouse::log
