#pragma once
// A Snapshot as bytes, for a data plane in another process (the per-Gateway config stream of
// Kubernetes mode). Format and measurements: docs/design/snapshot-codec.md.
#include <string>
#include <string_view>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {

// Bumped on any change to the byte layout; decode() refuses every other version.
inline constexpr uint32_t kCodecFormatVersion = 11;

// Deterministic: equal snapshots (exact hosts in any insertion order) give equal bytes, so a
// sender can skip a snapshot that encodes as the last one did. Derived state (RE2 objects,
// Endpoint's parsed address) is not encoded; decode() rebuilds it.
std::string encode(const Snapshot& snapshot);

// Where a few input bytes could ask for far more memory or time than they take, decode() stops
// at a limit: cluster slots (empty ones cost no bytes, yet every data-plane worker keeps state per
// slot and the encoder walks them all), and the programs regexes compile to (summed over distinct
// patterns, in RE2 instructions of ~8 bytes, about 1 us each to compile; a route's pattern takes
// tens to a few thousand, but "\pL{100}" takes 119,304).
struct DecodeLimits {
  uint32_t max_cluster_slots = 1u << 20;
  uint64_t max_regex_program_size = 1u << 23;
};

// The input is untrusted: anything malformed, truncated, out of range or inconsistent is an
// Error naming the field path and byte offset. Beyond the limits above, allocation stays
// proportional to the input size (every count is checked against the bytes left).
Result<SnapshotPtr> decode(std::string_view bytes, const DecodeLimits& limits = {});

// The part of `snapshot` that the Gateway "namespace/name" serves: its listeners only (a socket
// shared with other Gateways keeps just this Gateway's), and only the clusters its rules and
// mirrors name. Cluster indices are kept: the other slots are empty, so rules need no rewriting
// and a slot means the same cluster in the full and in the per-Gateway snapshot.
Snapshot forGateway(const Snapshot& snapshot, std::string_view gateway);

}  // namespace gatehouse::snapshot
