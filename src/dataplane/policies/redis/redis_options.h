#pragma once
// Where the global rate limits' Redis is (serve/dataplane --rate-limit-redis, GatehouseParameters
// spec.rateLimit.redis), how long the data plane waits for it, and how it authenticates.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace gatehouse::dataplane::redis {

class RedisTls;  // redis_tls.h

struct RedisOptions {
  std::string host;  // empty: no Redis (global limits follow their failure mode)
  uint16_t port = 6379;
  std::chrono::milliseconds timeout{50};  // one call, from the moment it is made
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  // A connection whose oldest call got no reply for this long is taken for dead (a stalled Redis,
  // a peer gone without a FIN): closed, and opened again after the backoff.
  std::chrono::milliseconds dead_after{1000};
  size_t max_in_flight = 4096;  // per worker, calls waiting for a reply; more fail at once
  // AUTH [username] password once connected; the file is read at every connect (a rotated
  // Secret needs no restart). Empty: no AUTH. An empty username is Redis's default user.
  std::string username;
  std::string password_file;
  std::shared_ptr<const RedisTls> tls;  // null: plaintext
};

}  // namespace gatehouse::dataplane::redis
