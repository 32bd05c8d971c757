#pragma once
// A Snapshot as bytes, for a data plane in another process (the per-Gateway config stream of
// Kubernetes mode). Format and measurements: docs/design/snapshot-codec.md.
#include <string>
#include <string_view>

#include "common/result.h"
#include "snapshot/snapshot.h"

namespace gatehouse::snapshot {

// Bumped on any change to the byte layout; decode() refuses every other version.
inline constexpr uint32_t kCodecFormatVersion = 1;

// Deterministic: equal snapshots (exact hosts in any insertion order) give equal bytes, so a
// sender can skip a snapshot that encodes as the last one did. Derived state (RE2 objects,
// Endpoint's parsed address) is not encoded; decode() rebuilds it.
std::string encode(const Snapshot& snapshot);

// The input is untrusted: anything malformed, truncated, out of range or inconsistent is an
// Error naming the field path and byte offset. Allocation stays proportional to the input
// size (every count is checked against the bytes left), except cluster slots, which are
// capped at kMaxClusterSlots.
Result<SnapshotPtr> decode(std::string_view bytes);

inline constexpr uint32_t kMaxClusterSlots = 1u << 24;

// The part of `snapshot` that the Gateway "namespace/name" serves: its listeners only (a socket
// shared with other Gateways keeps just this Gateway's), and only the clusters its rules and
// mirrors name. Cluster indices are kept: the other slots are empty, so rules need no rewriting
// and a slot means the same cluster in the full and in the per-Gateway snapshot.
Snapshot forGateway(const Snapshot& snapshot, std::string_view gateway);

}  // namespace gatehouse::snapshot
