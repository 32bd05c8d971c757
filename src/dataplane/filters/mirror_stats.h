#pragma once
// A worker's RequestMirror counters (see mirror.h); merged across workers for /metrics.
#include <cstdint>

namespace gatehouse::filters {

struct MirrorStats {
  uint64_t sent = 0;                // copies started
  uint64_t completed = 0;           // a response arrived
  uint64_t failed = 0;              // connect error, timeout or bad response
  uint64_t dropped_over_limit = 0;  // max_in_flight reached
  uint64_t skipped_body = 0;        // body over max_body
  uint64_t no_endpoint = 0;
  uint32_t in_flight = 0;

  void add(const MirrorStats& other) {
    sent += other.sent;
    completed += other.completed;
    failed += other.failed;
    dropped_over_limit += other.dropped_over_limit;
    skipped_body += other.skipped_body;
    no_endpoint += other.no_endpoint;
    in_flight += other.in_flight;
  }
};

}  // namespace gatehouse::filters
