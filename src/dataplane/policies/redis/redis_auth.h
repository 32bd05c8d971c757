#pragma once
// AUTH for the global rate limits' Redis (--rate-limit-redis-username, --rate-limit-redis-password-file):
// the password lives in a file (a mounted Secret), read again at every connect so a rotated one
// needs no restart, and never logged.
#include <string>
#include <string_view>

#include "common/result.h"

namespace gatehouse::dataplane::redis {

// The whole file, or an error "PATH: reason".
Result<std::string> readSmallFile(const std::string& path);

// The password in `path`, without its trailing newline (CR LF too); an empty one is an error.
Result<std::string> readPasswordFile(const std::string& path);

// AUTH password (the default user, Redis's requirepass), or AUTH username password (a Redis 6 ACL user).
std::string authCommand(std::string_view username, std::string_view password);

}  // namespace gatehouse::dataplane::redis
