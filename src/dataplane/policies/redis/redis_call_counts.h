#pragma once
// Calls of one worker's RedisClient by outcome: ok (Redis answered, an error reply included),
// error (no connection, or it broke), timeout. Worker thread; gathered for /metrics.
#include <cstdint>

namespace gatehouse::dataplane::redis {

struct RedisCallCounts {
  uint64_t ok = 0, error = 0, timeout = 0;
  void add(const RedisCallCounts& other) {
    ok += other.ok;
    error += other.error;
    timeout += other.timeout;
  }
};

}  // namespace gatehouse::dataplane::redis
