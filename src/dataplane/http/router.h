#pragma once
// Routing: picks the listener of a socket by Host, the route table by host name, the first
// matching entry (entries are sorted by Gateway API precedence), then a weighted backend.
// Pure functions of (snapshot, request); no I/O, no allocation beyond the returned strings.
#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/http/message.h"
#include "snapshot/snapshot.h"

namespace gatehouse::http {

struct RouteResult {
  const snapshot::Listener* listener = nullptr;  // null: no listener of the socket takes this host
  const snapshot::RouteEntry* entry = nullptr;   // null: no route matched (404)
  const snapshot::Rule* rule = nullptr;
};

// Host without port, lower-cased, without a trailing dot.
std::string hostWithoutPort(std::string_view authority);

RouteResult route(const snapshot::Socket& socket, const Request& request);

// Weighted choice among the rule's backends; `random` is a uniformly distributed value the
// caller draws (per-worker PRNG). Returns null when the rule has no backend with weight > 0.
const snapshot::WeightedBackend* pickBackend(const snapshot::Rule& rule, uint64_t random);

}  // namespace gatehouse::http
